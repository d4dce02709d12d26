using System.Collections.Concurrent;
using System.Collections.Immutable;
using GameBackend.Contracts;
using GameBackend.Domain.Collections;
using GameBackend.Server.Creatures;

namespace GameBackend.Server.Cells;

/// <summary>
/// This node's read-only replicas of the cells its player grains watch. A cell sends each event once
/// per node (not once per watching player); player grains read the replicas of their view on every
/// fix without a grain call, to answer what is near and to know which cell holds a creature thrown at.
/// </summary>
/// <remarks>
/// Invariant the cell relies on: a player grain acquires a replica before it registers with the
/// cell and releases it only after it said goodbye, so a node that receives an event for a cell it
/// holds no replica of has no live watcher of that cell (see <see cref="ICellGrain.ForgetNode"/>).
/// </remarks>
public sealed partial class CellReplicas(IGrainFactory grains, ILocalSiloDetails local, ILogger<CellReplicas> logger)
    : ICellObserver, ILifecycleParticipant<ISiloLifecycle>
{
    // Captures this node heard of lately, whatever the cell: late throws in a capture race are
    // answered from here by the hub, without a call to the player or the cell grain.
    private const int MaxRecentCaptures = 4096;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, CellReplica> _cells = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CaptureVerdict> _captured = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _capturedOrder = new();
    private CellNode? _node;

    /// <summary>How cells reach this node: its observer reference, created once per process.</summary>
    public CellNode Node
    {
        get
        {
            if (Volatile.Read(ref _node) is { } node)
            {
                return node;
            }

            lock (_lock)
            {
                // The reference must stay reachable for the life of the node: this singleton holds it.
                return _node ??= new CellNode(grains.CreateObjectReference<ICellObserver>(this), local.SiloAddress);
            }
        }
    }

    public SiloAddress Silo => local.SiloAddress;

    /// <summary>
    /// Orleans refuses to create an observer reference from inside a grain, so it is made as the
    /// silo starts, before any grain can ask for <see cref="Node"/>.
    /// </summary>
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(CellReplicas), ServiceLifecycleStage.Active, _ =>
        {
            GC.KeepAlive(Node);
            return Task.CompletedTask;
        });

    /// <summary>Replicas currently held (for tests and metrics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _cells.Count;
            }
        }
    }

    /// <summary>One more local watcher of <paramref name="cellId"/>: call before registering with the cell.</summary>
    public CellReplica Acquire(string cellId)
    {
        lock (_lock)
        {
            if (!_cells.TryGetValue(cellId, out var replica))
            {
                replica = new CellReplica(cellId);
                _cells.Add(cellId, replica);
            }

            replica.Holders++;
            return replica;
        }
    }

    /// <summary>One local watcher fewer: call after the goodbye to the cell.</summary>
    public void Release(CellReplica replica)
    {
        lock (_lock)
        {
            if (--replica.Holders <= 0 && _cells.TryGetValue(replica.CellId, out var held) && ReferenceEquals(held, replica))
            {
                _cells.Remove(replica.CellId);
            }
        }
    }

    /// <summary>Applies a cell's event to its replica; false when this node holds none (nobody here watches the cell).</summary>
    public bool Apply(string cellId, CellEvent cellEvent)
    {
        CellReplica? replica;
        lock (_lock)
        {
            _cells.TryGetValue(cellId, out replica);
        }

        replica?.Apply(cellEvent);
        if (replica is not null && cellEvent is { Kind: CellEventKind.Despawned, Reason: DespawnReasons.Captured, WinnerPlayerId: { } winner })
        {
            RememberCapture(cellEvent.Creature.Id, new CaptureVerdict(CaptureOutcomes.AlreadyCaptured, null, winner, cellEvent.AtMs));
        }

        return replica is not null;
    }

    /// <summary>
    /// The answer for a throw at a creature this node knows was captured (by anyone): what the cell
    /// tells every thrower after the winner. False when this node did not hear of such a capture.
    /// </summary>
    public bool TryRecentCapture(string creatureId, out CaptureVerdict verdict) => _captured.TryGetValue(creatureId, out verdict!);

    private void RememberCapture(string creatureId, CaptureVerdict verdict)
    {
        if (_captured.TryAdd(creatureId, verdict))
        {
            _capturedOrder.Enqueue(creatureId);
            while (_capturedOrder.Count > MaxRecentCaptures && _capturedOrder.TryDequeue(out var oldest))
            {
                _captured.TryRemove(oldest, out _);
            }
        }
    }

    Task ICellObserver.OnCellEvent(string cellId, CellEvent cellEvent)
    {
        if (!Apply(cellId, cellEvent))
        {
            // A cell that still counts watchers of ours who are gone (their goodbye was lost): tell it.
            _ = ForgetAsync(cellId, cellEvent.Version);
        }

        return Task.CompletedTask;
    }

    private async Task ForgetAsync(string cellId, long version)
    {
        try
        {
            await grains.GetGrain<ICellGrain>(cellId).ForgetNode(local.SiloAddress, version).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            // Best effort: the cell asks again with its next event.
            LogForgetFailed(logger, cellId, ex.Message);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Telling cell {CellId} that this node no longer watches it failed: {Error}")]
    private static partial void LogForgetFailed(ILogger logger, string cellId, string error);
}

/// <summary>
/// One cell's creatures as this node last heard them. Readers take the current array without a
/// lock (it is replaced, never changed, on each event); events and seeds commute, so the order in
/// which a seed and concurrent events arrive does not matter: a despawned creature leaves a
/// tombstone that a late seed or a reordered spawn cannot bring back.
/// </summary>
public sealed class CellReplica(string cellId)
{
    private const int MaxGone = 256;

    private readonly Lock _lock = new();
    private readonly BoundedMemo<CaptureVerdict> _gone = new(MaxGone);
    private Creature[] _creatures = [];

    public string CellId { get; } = cellId;

    /// <summary>Local player grains holding this replica; guarded by <see cref="CellReplicas"/>' lock.</summary>
    internal int Holders { get; set; }

    /// <summary>The creatures, expired ones included until the next event (readers filter by time).</summary>
    public Creature[] Creatures => Volatile.Read(ref _creatures);

    /// <summary>Merges a cell's full list (its answer to <see cref="ICellGrain.Watch"/>); <paramref name="reset"/> first forgets everything (the cell was re-activated after its node died).</summary>
    public void Seed(ImmutableArray<Creature> creatures, bool reset)
    {
        lock (_lock)
        {
            var result = new List<Creature>(creatures.Length + (reset ? 0 : _creatures.Length));
            if (!reset)
            {
                result.AddRange(_creatures);
            }

            foreach (var creature in creatures)
            {
                if (!_gone.Contains(creature.Id) && !Contains(result, creature.Id))
                {
                    result.Add(creature);
                }
            }

            Volatile.Write(ref _creatures, [.. result]);
        }
    }

    public void Apply(CellEvent cellEvent)
    {
        var creature = cellEvent.Creature;
        lock (_lock)
        {
            var current = _creatures;
            switch (cellEvent.Kind)
            {
                case CellEventKind.Spawned:
                    if (_gone.Contains(creature.Id) || Contains(current, creature.Id))
                    {
                        return;
                    }

                    // Expired creatures are dropped whenever the array is rebuilt anyway.
                    var grown = new List<Creature>(current.Length + 1);
                    foreach (var c in current)
                    {
                        if (c.ExpiresAtMs > cellEvent.AtMs)
                        {
                            grown.Add(c);
                        }
                    }

                    grown.Add(creature);
                    Volatile.Write(ref _creatures, [.. grown]);
                    break;
                case CellEventKind.Despawned:
                    Remember(creature.Id, cellEvent.Reason switch
                    {
                        DespawnReasons.Captured => new CaptureVerdict(CaptureOutcomes.AlreadyCaptured, null, cellEvent.WinnerPlayerId, cellEvent.AtMs),
                        DespawnReasons.Expired => new CaptureVerdict(CaptureOutcomes.Expired, null, null, null),
                        _ => new CaptureVerdict(CaptureOutcomes.NotFound, null, null, null),
                    });
                    if (Contains(current, creature.Id))
                    {
                        Volatile.Write(ref _creatures, Array.FindAll(current, c => c.Id != creature.Id && c.ExpiresAtMs > cellEvent.AtMs));
                    }

                    break;
            }
        }
    }

    public bool TryFind(string creatureId, out Creature creature)
    {
        foreach (var c in Volatile.Read(ref _creatures))
        {
            if (c.Id == creatureId)
            {
                creature = c;
                return true;
            }
        }

        creature = null!;
        return false;
    }

    /// <summary>The answer for a throw at a creature that left this cell recently.</summary>
    public bool TryGone(string creatureId, out CaptureVerdict verdict)
    {
        lock (_lock)
        {
            return _gone.TryGet(creatureId, out verdict);
        }
    }

    private void Remember(string creatureId, CaptureVerdict verdict) => _gone.TryRemember(creatureId, verdict);

    private static bool Contains(IReadOnlyList<Creature> creatures, string id)
    {
        for (var i = 0; i < creatures.Count; i++)
        {
            if (creatures[i].Id == id)
            {
                return true;
            }
        }

        return false;
    }
}
