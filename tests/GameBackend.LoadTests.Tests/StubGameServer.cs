using GameBackend.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GameBackend.LoadTests.Tests;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a stand-in game hub and guest login: what the runner's
/// counting is tested against when the real game server cannot produce the case on demand.
/// </summary>
internal sealed class StubGameServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubGameServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts <typeparamref name="THub"/> at the game hub's path; <paramref name="services"/> adds its state.</summary>
    public static async Task<StubGameServer> StartAsync<THub>(Action<IServiceCollection> services, TimeSpan timeout, long maxReceiveBytes = 32 * 1024)
        where THub : Hub
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        services(builder.Services);
        builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = maxReceiveBytes).AddJsonProtocol().AddMessagePackProtocol();
        var app = builder.Build();
        app.UseWebSockets();
        app.MapPost("/api/players/login", (LoginRequest r) => Results.Ok(new LoginResponse { PlayerId = r.DeviceId, Token = "t" }));
        app.MapHub<THub>(HubMethods.Path);
        await app.StartAsync().WaitAsync(timeout);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new StubGameServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
