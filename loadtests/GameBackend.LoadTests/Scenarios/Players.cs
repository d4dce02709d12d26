using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>A logged-in player with an open hub connection (replaced by <see cref="Reconnector"/> after a loss).</summary>
[SuppressMessage("Design", "CA1051", Justification = "NextSeq and LostAt are updated with Interlocked, which needs fields.")]
public sealed class Player(int index, string playerId, RawHubConnection connection)
{
    private volatile RawHubConnection _connection = connection;

    /// <summary>0-based index in the run.</summary>
    public int Index { get; } = index;

    /// <summary>Server-assigned player id.</summary>
    public string PlayerId { get; } = playerId;

    /// <summary>The current hub connection.</summary>
    public RawHubConnection Connection { get => _connection; set => _connection = value; }

    /// <summary>Next sequence number for location fixes.</summary>
    public long NextSeq;

    /// <summary>Device id used to log in (again).</summary>
    public string DeviceId { get; init; } = "";

    /// <summary>Display name used to log in (again).</summary>
    public string DisplayName { get; init; } = "";

    /// <summary>Bearer token of the last login.</summary>
    public string Token { get; set; } = "";

    /// <summary>Index into <see cref="LoadTestOptions.Targets"/> of the server this player is on.</summary>
    public int TargetIndex { get; set; }

    /// <summary>Re-applied to every new connection (event handlers).</summary>
    public Action<Player>? Configure { get; init; }

    /// <summary>
    /// Timestamp (<see cref="TimeProvider.GetTimestamp"/>) at which the connection was lost, 0 while connected
    /// and recovered. Cleared by the first accepted fix after the loss, which records the recovery time.
    /// </summary>
    public long LostAt;

    /// <summary>True while the connection is down and a reconnect is under way.</summary>
    public bool Reconnecting => Volatile.Read(ref _reconnecting) != 0;

    internal int _reconnecting;

    /// <summary>Set in clean: stop reconnecting.</summary>
    internal volatile bool Disposed;

    /// <summary>
    /// Call after an accepted fix: the first one after a connection loss records "time to first accepted fix
    /// after a connection loss" as the <see cref="Reconnector.RecoveryStep"/> step.
    /// </summary>
    /// <remarks>
    /// Only an ack that came on the current connection after the reconnect counts: an ack of the lost
    /// connection can be processed (its continuation runs on the thread pool) after the loss was noticed.
    /// </remarks>
    public void Accepted(RawHubConnection via, Engine.ScenarioInitContext? init, TimeProvider clock)
    {
        var lost = Volatile.Read(ref LostAt);
        if (lost != 0 && !Reconnecting && ReferenceEquals(via, Connection) && Interlocked.CompareExchange(ref LostAt, 0, lost) == lost)
        {
            init?.RecordStep(Reconnector.RecoveryStep, Engine.Response.Ok("recovered"), clock.GetElapsedTime(lost));
        }
    }
}

/// <summary>Logs players in and connects them, with bounded parallelism.</summary>
public static class Players
{
    /// <summary>Logs in and connects <paramref name="count"/> players; throws if any fails.</summary>
    public static async Task<Player[]> ConnectAsync(LoadTestOptions options, int count, string role, CancellationToken cancellationToken, Action<Player>? configure = null)
    {
        var players = new Player[count];
        try
        {
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = options.SetupParallelism, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                players[i] = await ConnectOneAsync(options, i, role, ct, configure);
            });
        }
        catch
        {
            await DisposeAsync(players.Where(p => p is not null));
            throw;
        }

        return players;
    }

    /// <summary>
    /// Like <see cref="ConnectAsync"/>, but a connection the server turns away because it is full (503, its
    /// connection cap) leaves a null in its place instead of ending the run: the scenario goes on with the
    /// players that got in and fails the turns of the others. Any other failure still throws.
    /// </summary>
    public static async Task<(Player?[] Players, int Refused)> ConnectAvailableAsync(LoadTestOptions options, int count, string role, CancellationToken cancellationToken)
    {
        var players = new Player?[count];
        var refused = 0;
        try
        {
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = options.SetupParallelism, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                try
                {
                    players[i] = await ConnectOneAsync(options, i, role, ct);
                }
                catch (Exception ex) when (IsServerFull(ex))
                {
                    Interlocked.Increment(ref refused);
                }
            });
        }
        catch
        {
            await DisposeAsync(players.OfType<Player>());
            throw;
        }

        return (players, refused);
    }

    /// <summary>A 503 on negotiate (HTTP) or on the WebSocket upgrade: the node is at its connection cap.</summary>
    internal static bool IsServerFull(Exception ex) => ex switch
    {
        HttpRequestException { StatusCode: System.Net.HttpStatusCode.ServiceUnavailable } => true,
        System.Net.WebSockets.WebSocketException ws => ws.Message.Contains("'503'", StringComparison.Ordinal) || (ws.InnerException is { } inner && IsServerFull(inner)),
        _ => false,
    };

    /// <summary>Logs in and connects one player (to its share of the targets).</summary>
    public static async Task<Player> ConnectOneAsync(LoadTestOptions options, int index, string role, CancellationToken cancellationToken, Action<Player>? configure = null)
    {
        var deviceId = $"{options.DevicePrefix}-{role}-{options.Seed}-{index}";
        var targetIndex = options.Targets.Count == 0 ? 0 : index % options.Targets.Count;
        var target = options.TargetFor(index);
        var login = await GameApi.LoginAsync(target, deviceId, $"{role} {index}", cancellationToken);
        var connection = await RawHubConnection.ConnectAsync(GameApi.HubUrl(target), login.Token, options.Protocol, cancellationToken, options.SkipNegotiation);
        var player = new Player(index, login.PlayerId, connection)
        {
            NextSeq = SeqBase(TimeProvider.System),
            DeviceId = deviceId,
            DisplayName = $"{role} {index}",
            Token = login.Token,
            TargetIndex = targetIndex,
            Configure = configure,
        };
        configure?.Invoke(player);
        return player;
    }

    /// <summary>
    /// A sequence-number base above anything an earlier run with the same players can have sent:
    /// microseconds since the Unix epoch at the start of this run.
    /// </summary>
    public static long SeqBase(TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds() * 1000;

    /// <summary>Closes every connection.</summary>
    public static async Task DisposeAsync(IEnumerable<Player> players)
    {
        await Parallel.ForEachAsync(players, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (p, _) =>
        {
            p.Disposed = true;
            await p.Connection.DisposeAsync();
        });
    }

    /// <summary>Thread-safe holder filled in init and emptied in clean.</summary>
    public sealed class Holder
    {
        private readonly ConcurrentBag<Player> _extra = [];

        /// <summary>The players connected in init.</summary>
        public Player[] All { get; set; } = [];

        /// <summary>Players added during the run (connect-storm).</summary>
        public ConcurrentBag<Player> Added => _extra;
    }
}
