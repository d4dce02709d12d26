using System.Collections.Concurrent;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>A logged-in player with an open hub connection.</summary>
public sealed class Player(int index, string playerId, RawHubConnection connection)
{
    /// <summary>0-based index in the run.</summary>
    public int Index { get; } = index;

    /// <summary>Server-assigned player id.</summary>
    public string PlayerId { get; } = playerId;

    /// <summary>The hub connection.</summary>
    public RawHubConnection Connection { get; } = connection;

    /// <summary>Next sequence number for location fixes.</summary>
    public long NextSeq;
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
                players[i] = await ConnectOneAsync(options, i, role, ct);
                configure?.Invoke(players[i]);
            });
        }
        catch
        {
            await DisposeAsync(players.Where(p => p is not null));
            throw;
        }

        return players;
    }

    /// <summary>Logs in and connects one player.</summary>
    public static async Task<Player> ConnectOneAsync(LoadTestOptions options, int index, string role, CancellationToken cancellationToken)
    {
        var deviceId = $"{options.DevicePrefix}-{role}-{options.Seed}-{index}";
        var login = await GameApi.LoginAsync(options.Target, deviceId, $"{role} {index}", cancellationToken);
        var connection = await RawHubConnection.ConnectAsync(options.HubUrl, login.Token, options.Protocol, cancellationToken, options.SkipNegotiation);
        return new Player(index, login.PlayerId, connection) { NextSeq = SeqBase(TimeProvider.System) };
    }

    /// <summary>
    /// A sequence-number base above anything an earlier run with the same players can have sent:
    /// microseconds since the Unix epoch at the start of this run.
    /// </summary>
    public static long SeqBase(TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds() * 1000;

    /// <summary>Closes every connection.</summary>
    public static async Task DisposeAsync(IEnumerable<Player> players)
    {
        await Parallel.ForEachAsync(players, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (p, _) => await p.Connection.DisposeAsync());
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
