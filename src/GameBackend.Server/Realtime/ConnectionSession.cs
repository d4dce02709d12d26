using System.Diagnostics.CodeAnalysis;
using GameBackend.Domain.Collections;
using GameBackend.Server.Players;

namespace GameBackend.Server.Realtime;

/// <summary>
/// What the hub keeps per connection (in <c>HubCallerContext.Items</c>; hubs themselves are created
/// per invocation): the player grain reference, the gate that applies this connection's fixes one
/// at a time in the order they arrived, and what the connection was last told (nearby set and
/// view versions, and the cell groups it joined).
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "The SemaphoreSlim is only awaited (no wait handle is ever created), so there is nothing to release; the session ends with its connection.")]
internal sealed class ConnectionSession(string playerId, IPlayerGrain player)
{
    // SemaphoreSlim queues asynchronous waiters first in, first out: fixes leave in arrival order.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _queued;

    private const int MaxForwarded = 64;
    private readonly BoundedMemo<bool> _forwarded = new(MaxForwarded);

    public string PlayerId { get; } = playerId;

    public IPlayerGrain Player { get; } = player;

    /// <summary>Version of the last nearby list this connection received (0: none yet).</summary>
    public long NearbyVersion { get; set; }

    /// <summary>Version of the view whose cell groups this connection joined (0: none yet).</summary>
    public long ViewVersion { get; set; }

    /// <summary>The player's cell as of this connection's last answered fix.</summary>
    public string? CellId { get; set; }

    /// <summary>Server time of the last fix of this connection stored in history (null: none yet).</summary>
    public long? LastRecordedMs { get; set; }

    /// <summary>Records that this connection's throw <paramref name="attemptId"/> went to the player grain (bounded: the oldest ids are forgotten).</summary>
    public void MarkForwarded(string attemptId)
    {
        lock (_forwarded)
        {
            _forwarded.TryRemember(attemptId, true);
        }
    }

    /// <summary>True when <paramref name="attemptId"/> of this connection went to the player grain (see <see cref="MarkForwarded"/>): its answer must come from the grain's memo.</summary>
    public bool WasForwarded(string attemptId)
    {
        lock (_forwarded)
        {
            return _forwarded.Contains(attemptId);
        }
    }

    /// <summary>The cells whose groups this connection is in.</summary>
    public IReadOnlyList<string> Cells { get; set; } = [];

    /// <summary>
    /// Takes a place in the queue of fixes, or returns false when <paramref name="maxQueued"/> fixes
    /// are already waiting or running: the burst is shed (answered <c>rateLimited</c>) instead of
    /// holding invocation slots that throws and queries need.
    /// </summary>
    public bool TryEnter(int maxQueued)
    {
        if (Interlocked.Increment(ref _queued) > maxQueued)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }

        return true;
    }

    /// <summary>Waits for this connection's earlier fixes; must follow a successful <see cref="TryEnter"/>.</summary>
    public Task WaitTurnAsync(CancellationToken cancellationToken) => _gate.WaitAsync(cancellationToken);

    public void Exit(bool hadTurn)
    {
        if (hadTurn)
        {
            _gate.Release();
        }

        Interlocked.Decrement(ref _queued);
    }
}
