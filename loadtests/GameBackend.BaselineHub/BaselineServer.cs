using GameBackend.Contracts;
using MessagePack;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;

namespace GameBackend.BaselineHub;

/// <summary>Options of the baseline hub.</summary>
public sealed class BaselineOptions
{
    /// <summary>Artificial delay before every hub method answers (for the runner's own tests).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>
    /// <c>creatureSpawned</c> events broadcast to every connection per second (0: none): the push
    /// traffic of a crowd without any game behind it, so a crowd run has a bare yardstick too.
    /// </summary>
    public double PushesPerSecond { get; set; }

    private long _pushes;

    /// <summary>Number of events broadcast.</summary>
    public long PushCount => Volatile.Read(ref _pushes);

    internal long CountPush() => Interlocked.Increment(ref _pushes);

    private long _updates;

    /// <summary>Number of <c>UpdateLocation</c> calls answered.</summary>
    public long UpdateCount => Volatile.Read(ref _updates);

    internal void CountUpdate() => Interlocked.Increment(ref _updates);
}

/// <summary>
/// A bare SignalR hub on <see cref="HubMethods.Path"/> that does no work: the yardstick for load-test results.
/// Speaks JSON and MessagePack with the contracts' camelCase names.
/// </summary>
public sealed class BaselineServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BaselineServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Options = app.Services.GetRequiredService<BaselineOptions>();
    }

    /// <summary>The live options and counters.</summary>
    public BaselineOptions Options { get; }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address { get; }

    /// <summary>The hub URL.</summary>
    public Uri HubUrl => new(Address, HubMethods.Path);

    /// <summary>Starts in-process on 127.0.0.1:<paramref name="port"/> (0 picks a free port).</summary>
    public static Task<BaselineServer> StartAsync(int port = 0, TimeSpan delay = default, double pushesPerSecond = 0, CancellationToken cancellationToken = default) =>
        StartAsync(["--urls", $"http://127.0.0.1:{port}"], delay, pushesPerSecond, cancellationToken);

    /// <summary>Starts with command-line arguments (<c>--urls</c>, <c>--delay-ms</c>, <c>--pushes-per-second</c>).</summary>
    public static async Task<BaselineServer> StartAsync(string[] args, TimeSpan delay = default, double pushesPerSecond = 0, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var delayMs = builder.Configuration.GetValue<double?>("delay-ms");
        builder.Services.AddSingleton(new BaselineOptions
        {
            Delay = delayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : delay,
            PushesPerSecond = builder.Configuration.GetValue<double?>("pushes-per-second") ?? pushesPerSecond,
        });
        builder.Services.AddHostedService<BaselinePushes>();
        builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = 64 * 1024)
            .AddJsonProtocol()
            .AddMessagePackProtocol(o =>
                // The contracts carry [MessagePackObject] + [Key("camelCase")]: the standard resolver honours them.
                o.SerializerOptions = MessagePackSerializerOptions.Standard
                    .WithResolver(StandardResolver.Instance)
                    .WithSecurity(MessagePackSecurity.UntrustedData));

        var app = builder.Build();
        app.UseWebSockets();
        app.MapPost("/api/players/login", (LoginRequest request) => Results.Ok(new LoginResponse
        {
            PlayerId = string.IsNullOrEmpty(request.DeviceId) ? "anonymous" : request.DeviceId,
            Token = "baseline",
            ExpiresAt = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds(),
        }));
        app.MapHub<GameHub>(HubMethods.Path);
        await app.StartAsync(cancellationToken);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new BaselineServer(app, new Uri(addresses.First()));
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>The baseline hub: answers immediately (after the configured delay) without doing any work.</summary>
public sealed class GameHub(BaselineOptions options) : Hub
{
    /// <summary>Acknowledges the fix.</summary>
    public async Task<LocationAck> UpdateLocation(LocationUpdate update)
    {
        if (options.Delay > TimeSpan.Zero)
        {
            await Task.Delay(options.Delay);
        }

        options.CountUpdate();
        return new LocationAck { Seq = update.Seq, Accepted = true };
    }

    /// <summary>Nothing is ever nearby.</summary>
    public NearbyCreature[] GetNearby() => [];

    /// <summary>There are no creatures.</summary>
    public CaptureResult TryCapture(CaptureRequest request) =>
        new() { AttemptId = request.AttemptId, CreatureId = request.CreatureId, Outcome = CaptureOutcomes.NotFound };

    /// <summary>An empty state.</summary>
    public PlayerState GetState() => new() { PlayerId = Context.ConnectionId };

    /// <summary>Echoes a fix back as a server event (used to test event decoding).</summary>
    public Task Echo(LocationUpdate update) => Clients.Caller.SendAsync("echo", update);
}

/// <summary>Broadcasts <see cref="BaselineOptions.PushesPerSecond"/> spawn events to everyone: one send, serialised once per protocol.</summary>
internal sealed class BaselinePushes(IHubContext<GameHub> hub, BaselineOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.PushesPerSecond <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / options.PushesPerSecond));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var n = options.CountPush();
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                // What the game pushes for a spawn, with a fresh id and the send time as spawnedAt.
                await hub.Clients.All.SendAsync(GameEvents.CreatureSpawned, new CreatureSpawned
                {
                    CreatureId = $"0193a1b2-c3d4-7e5f-8a9b-{n:x12}",
                    Species = "mosslet",
                    Rarity = "common",
                    Latitude = 52.5200 + (n % 100) * 1e-5,
                    Longitude = 13.4050,
                    SpawnedAt = now,
                    ExpiresAt = now + 900_000,
                    CellId = "200:71234:5210",
                }, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
