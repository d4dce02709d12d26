using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using GameBackend.Contracts;
using GameBackend.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GameBackend.Server.Tests.Infrastructure;

public enum WireProtocol
{
    Json,
    MessagePack,
}

/// <summary>
/// The real game server on real Kestrel at 127.0.0.1 with an ephemeral port (read back after
/// start), a real co-hosted Orleans silo on free ports, and game time on a <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>A fresh random token signing key per test run.</summary>
    public static readonly string SigningKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri baseAddress, FakeTimeProvider time)
    {
        _app = app;
        BaseAddress = baseAddress;
        Time = time;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout };
    }

    public Uri BaseAddress { get; }

    /// <summary>A connection to the operator hub signed in with the console's session <paramref name="cookie"/>.</summary>
    public HubConnection OperatorConnection(string cookie) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, "/hubs/operator"), o =>
            {
                o.Headers["Cookie"] = cookie;
                // Long polling: the .NET client sends custom headers on every request of that transport.
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            })
            .Build();

    public FakeTimeProvider Time { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestServer> StartAsync(
        IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Testing",
            ContentRootPath = AppContext.BaseDirectory,
        });
        var config = new Dictionary<string, string?>
        {
            ["Cluster:SiloPort"] = FreePort().ToString(),
            ["Cluster:GatewayPort"] = FreePort().ToString(),
            ["Cluster:ClusterId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans"] = "Error",
            // Outside Development the server refuses to start without a secret key (docs/security.md).
            ["Identity:SigningKey"] = SigningKey,
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        RunAsAppRole(config);

        builder.Configuration.AddInMemoryCollection(config);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        // Starts at the real now: tokens are validated against the real clock, game rules against this one.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        builder.Services.AddSingleton(new GameClock(time));
        configureServices?.Invoke(builder.Services);
        builder.AddGameServer();
        var app = builder.Build();
        app.MapGameServer();
        await app.StartAsync().WaitAsync(Timeout);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestServer(app, new Uri(address), time);
    }

    public async Task<LoginResponse> LoginAsync(string? deviceId = null, string? displayName = null)
    {
        var response = await Http.PostAsJsonAsync("/api/players/login",
            new { deviceId = deviceId ?? "device-" + Guid.NewGuid().ToString("N"), displayName = displayName ?? "Tester" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<LoginResponse>())!;
    }

    public HubConnection BuildConnection(string? token, WireProtocol protocol)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, HubMethods.Path), o =>
            {
                if (token is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            });
        if (protocol == WireProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }
        else
        {
            builder.AddJsonProtocol(o => o.PayloadSerializerOptions.NumberHandling =
                System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals);
        }

        var connection = builder.Build();
        connection.ServerTimeout = TimeSpan.FromSeconds(60);
        return connection;
    }

    /// <summary>Logs a new player in and connects it.</summary>
    public async Task<TestPlayer> ConnectPlayerAsync(WireProtocol protocol, string? deviceId = null)
    {
        var login = await LoginAsync(deviceId);
        var connection = BuildConnection(login.Token, protocol);
        var player = new TestPlayer(login, connection);
        await connection.StartAsync().WaitAsync(Timeout);
        return player;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using var cts = new CancellationTokenSource(Timeout);
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }

    /// <summary>
    /// Every test server works as the least-privilege app role, as a deployment does (issue 12,
    /// finding 6): a test that hands it the owner's connection string gets the owner for its
    /// migrations and the app role for everything else, so the whole suite shows the app role can play.
    /// </summary>
    private static void RunAsAppRole(Dictionary<string, string?> config)
    {
        if (config.GetValueOrDefault("ConnectionStrings:Postgres") is not { Length: > 0 } given
            || config.ContainsKey("ConnectionStrings:PostgresMigrations"))
        {
            return;
        }

        // Read here, not from TestDatabase: the web tests link this file without it.
        var owner = new Npgsql.NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES") ?? "Username=gamebackend");
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(given);
        if (builder.Username != owner.Username)
        {
            return;
        }

        var app = new Npgsql.NpgsqlConnectionStringBuilder(
            Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES_APP") ?? "Username=gamebackend_app;Password=gamebackend_app");
        config["ConnectionStrings:PostgresMigrations"] = given;
        config["ConnectionStrings:Postgres"] = new Npgsql.NpgsqlConnectionStringBuilder(given) { Username = app.Username, Password = app.Password }.ConnectionString;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A logged-in, connected player with helpers that bound every await.</summary>
public sealed class TestPlayer(LoginResponse login, HubConnection connection) : IAsyncDisposable
{
    private long _seq;

    public string PlayerId => login.PlayerId;

    public string Token => login.Token;

    public HubConnection Connection => connection;

    public long NextSeq() => Interlocked.Increment(ref _seq);

    public Task<LocationAck> UpdateAsync(LocationUpdate update) =>
        connection.InvokeAsync<LocationAck>(HubMethods.UpdateLocation, update).WaitAsync(TestServer.Timeout);

    public Task<LocationAck> MoveToAsync(double latitude, double longitude, long deviceTimeMs) =>
        UpdateAsync(new LocationUpdate { Seq = NextSeq(), Timestamp = deviceTimeMs, Latitude = latitude, Longitude = longitude });

    public Task<PlayerState> GetStateAsync() =>
        connection.InvokeAsync<PlayerState>(HubMethods.GetState).WaitAsync(TestServer.Timeout);

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
