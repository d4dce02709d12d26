# syntax=docker/dockerfile:1
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/
# ReadyToRun: the server and its packages (Orleans, Npgsql, ...) ship precompiled, so a fresh pod
# does not spend its first minute in the JIT (docs/benchmarks.md, the first minute).
ARG TARGETARCH
RUN arch=$([ "$TARGETARCH" = "arm64" ] && echo arm64 || echo x64) && \
    dotnet publish src/GameBackend.Server/GameBackend.Server.csproj -c Release -r "linux-$arch" --self-contained false \
    -p:PublishReadyToRun=true -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    DOTNET_gcServer=1
EXPOSE 8080 11111 30000
USER app
ENTRYPOINT ["dotnet", "GameBackend.Server.dll"]
