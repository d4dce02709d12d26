using System.Collections.Immutable;
using GameBackend.Contracts;
using GameBackend.Data.History;
using GameBackend.Domain.Capture;
using GameBackend.Domain.Cells;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;
using GameBackend.Server.Creatures;
using GameBackend.Server.History;
using GameBackend.Server.Hosting;
using GameBackend.Server.Spawning;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GameBackend.Server.Cells;

/// <inheritdoc cref="ICellGrain"/>
internal sealed partial class CellGrain(
    CellGrid grid,
    GameClock clock,
    WorldCache world,
    AmbientSpawnRules ambient,
    IOptions<SpawnOptions> spawnOptions,
    CaptureRules captureRules,
    IGameHistory history,
    Telemetry.GameMetrics metrics,
    Operators.LiveMap live,
    ICellBroadcast broadcast,
    CellReplicas replicas,
    SiloDeaths siloDeaths,
    ILogger<CellGrain> logger,
    CaptureLedger? ledger = null) : Grain, ICellGrain
{
    // Results of recent races, so late and repeated throws get the same answer.
    private const int MaxRemembered = 512;

    private readonly Dictionary<string, Watcher> _interest = new(StringComparer.Ordinal);
    // The nodes holding watchers, each with how many: events go once to each.
    private readonly Dictionary<SiloAddress, (CellNode Node, int Watchers)> _nodes = [];
    private readonly Dictionary<string, Creature> _creatures = new(StringComparer.Ordinal);
    private readonly CaptureReferee _referee = new(captureRules, MaxRemembered);

    private Random _random = Random.Shared;
    private IGrainTimer? _tick;
    private long _lastTickMs;
    private CellId _cell;
    private double _areaSquareKm;
    private long _version;
    private int _siloDeathsSeen;

    private string CellKey => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        metrics.CellGrains(1);
        _cell = CellId.Parse(CellKey);
        var b = grid.Bounds(_cell);
        _areaSquareKm = AreaSquareKm(b);
        var seed = spawnOptions.Value.Seed ?? Random.Shared.Next();
        _random = new Random(HashCode.Combine(seed, StringComparer.Ordinal.GetHashCode(CellKey)));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _tick?.Dispose();
        metrics.CellGrains(-1);
        // A stopping node does not tell zones: the calls would fail against zone grains stopping
        // with it (a log full of errors), and a zone stops counting a creature at its expiry anyway.
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            foreach (var creature in _creatures.Values)
            {
                ReleaseFromZone(creature);
            }
        }

        return Task.CompletedTask;
    }

    public Task<ImmutableArray<Creature>> Watch(string playerId, CellInterest interest, CellNode? node)
    {
        if (_interest.Remove(playerId, out var old))
        {
            LeaveNode(old.Node);
        }

        if (interest == CellInterest.None || node is null)
        {
            if (_interest.Count == 0)
            {
                StopTicking();
            }

            return Task.FromResult(ImmutableArray<Creature>.Empty);
        }

        _interest[playerId] = new Watcher(interest, node, _version);
        _nodes[node.Silo] = (node, _nodes.TryGetValue(node.Silo, out var n) ? n.Watchers + 1 : 1);
        StartTicking();
        // Always the full list, even to a player this cell believes already watches it: that belief is
        // stale when the player's grain died with a node and a fresh activation starts from nothing.
        return Task.FromResult<ImmutableArray<Creature>>([.. _creatures.Values]);
    }

    public Task ForgetNode(SiloAddress silo, long eventVersion)
    {
        Forget(w => w.Node.Silo.Equals(silo) && w.Since < eventVersion);
        return Task.CompletedTask;
    }

    public Task<CellSnapshot> GetSnapshot()
    {
        var present = _interest.Where(p => p.Value.Interest == CellInterest.Present).Select(p => p.Key).Order(StringComparer.Ordinal);
        return Task.FromResult(new CellSnapshot(CellKey, [.. present], _interest.Count, [.. _creatures.Values]));
    }

    public Task AddCreature(Creature creature)
    {
        if (creature.CellId != CellKey || world.IsExcluded(creature.Position))
        {
            ReleaseFromZone(creature);
            return Task.CompletedTask;
        }

        Spawn(creature);
        return Task.CompletedTask;
    }

    public Task Exclude(byte[] areaWkb)
    {
        var area = new WKBReader().Read(areaWkb);
        foreach (var creature in _creatures.Values.ToList())
        {
            if (area.Covers(new Point(creature.Longitude, creature.Latitude)))
            {
                Despawn(creature, DespawnReasons.Excluded);
            }
        }

        return Task.CompletedTask;
    }

    public async Task<CaptureVerdict> TryCapture(CaptureAttempt attempt)
    {
        if (_referee.TryEarlier(attempt, out var earlier))
        {
            return earlier;
        }

        var verdict = await Judge(attempt);
        _referee.Answered(attempt, verdict);
        return verdict;
    }

    private async Task<CaptureVerdict> Judge(CaptureAttempt attempt)
    {
        var now = clock.NowMs;
        if (!_creatures.TryGetValue(attempt.CreatureId, out var creature))
        {
            if (_referee.TryGone(attempt.CreatureId, out var gone))
            {
                return gone;
            }

            // Unknown to this activation: the cell may have been re-activated after its node
            // stopped or died, and a player grain elsewhere retries a throw whose first answer was
            // lost. Player grains only forward creatures they were shown, so this is rare; the
            // ledger still knows whether (and by whom) the creature was captured.
            return ledger is not null && await ledger.WinnerOfAsync(attempt.CreatureId) is { } recorded
                ? CaptureReferee.Decided(attempt.PlayerId, recorded.PlayerId, recorded.CapturedAt.ToUnixTimeMilliseconds())
                : CaptureReferee.NotFound;
        }

        if (_referee.TryCommitting(creature.Id, out var pending, out var pendingAtMs))
        {
            return CaptureReferee.Decided(attempt.PlayerId, await pending, pendingAtMs);
        }

        var judged = _referee.Judge(attempt, creature, now, _random);
        if (judged.Miss is { } miss)
        {
            if (miss.Outcome == CaptureOutcomes.Expired)
            {
                Despawn(creature, DespawnReasons.Expired);
            }

            return miss;
        }

        // The commit point: with PostgreSQL, a unique key on the creature decides the winner even if
        // a membership change briefly gave this cell two activations on two nodes.
        var winner = attempt.PlayerId;
        var record = new CaptureRecord(creature.Id, attempt.PlayerId, creature.Species, creature.Rarity, creature.Latitude, creature.Longitude,
            DateTimeOffset.FromUnixTimeMilliseconds(now), judged.Throws, Math.Max(0, judged.Throws - 1));
        if (ledger is not null)
        {
            var commit = ledger.CommitWinnerAsync(record);
            _referee.Committing(creature.Id, commit, now);
            try
            {
                winner = await commit;
            }
            finally
            {
                _referee.Committed(creature.Id);
            }
        }

        var verdict = new CaptureVerdict(CaptureOutcomes.Captured, judged.DistanceMeters, winner, now);
        var lost = verdict with { Outcome = CaptureOutcomes.AlreadyCaptured, DistanceMeters = null };
        if (_creatures.ContainsKey(creature.Id))
        {
            metrics.Captured(creature.Rarity);
            Despawn(creature, DespawnReasons.Captured, winner, now);
            _referee.Captured(creature.Id, lost);
        }

        return winner == attempt.PlayerId ? verdict : lost;
    }

    private void StartTicking()
    {
        if (_tick is not null)
        {
            return;
        }

        _lastTickMs = clock.NowMs;
        var period = spawnOptions.Value.TickInterval;
        _tick = this.RegisterGrainTimer(Tick, new GrainTimerCreationOptions(TimeSpan.Zero, period) { KeepAlive = true });
    }

    private void StopTicking()
    {
        _tick?.Dispose();
        _tick = null;
    }

    /// <summary>One spawn tick: expire, honour exclusions, top up ambient creatures, collect sponsor-zone draws.</summary>
    private async Task Tick(CancellationToken cancellationToken)
    {
        var deaths = siloDeaths.Count;
        if (deaths != _siloDeathsSeen)
        {
            _siloDeathsSeen = deaths;
            Forget(w => siloDeaths.IsDead(w.Node.Silo));
        }

        var now = clock.NowMs;
        var elapsed = TimeSpan.FromMilliseconds(Math.Max(0, now - _lastTickMs));
        _lastTickMs = now;

        foreach (var creature in _creatures.Values.ToList())
        {
            if (creature.ExpiresAtMs <= now)
            {
                Despawn(creature, DespawnReasons.Expired);
            }
            else if (world.IsExcluded(creature.Position))
            {
                Despawn(creature, DespawnReasons.Excluded);
            }
        }

        var ambientAlive = _creatures.Values.Count(c => c.SponsorZoneId is null);
        var due = ambient.SpawnsDue(_areaSquareKm, ambientAlive, elapsed, _random);
        for (var i = 0; i < due; i++)
        {
            var point = grid.RandomPointIn(_cell, _random);
            if (world.IsExcluded(point))
            {
                continue; // Never inside an exclusion zone; the deficit is made up on a later tick.
            }

            var species = ambient.PickSpecies(_random);
            Spawn(new Creature(CreatureIds.New(now), species.Id, species.Rarity.ToWire(),
                point.Latitude, point.Longitude, now, now + (long)spawnOptions.Value.CreatureLifetime.TotalMilliseconds, CellKey, null));
        }

        foreach (var zone in world.ZonesOverlapping(grid.Bounds(_cell)))
        {
            var draws = await GrainFactory.GetGrain<IZoneGrain>(zone.Zone.Id).DrawSpawns();
            foreach (var creature in draws)
            {
                if (creature.CellId == CellKey)
                {
                    Spawn(creature);
                }
                else
                {
                    await GrainFactory.GetGrain<ICellGrain>(creature.CellId).AddCreature(creature);
                }
            }
        }
    }

    private void Spawn(Creature creature)
    {
        _creatures[creature.Id] = creature;
        metrics.Spawned(creature.Rarity, creature.SponsorZoneId is not null);
        live.CreatureSpawned(creature);
        if (history.Enabled)
        {
            history.Spawn(new SpawnRecord(creature.Id, creature.Species, creature.Rarity, creature.Latitude, creature.Longitude,
                DateTimeOffset.FromUnixTimeMilliseconds(creature.SpawnedAtMs), DateTimeOffset.FromUnixTimeMilliseconds(creature.ExpiresAtMs),
                creature.CellId, creature.SponsorZoneId is { } z ? Guid.Parse(z) : null));
        }

        Publish(new CellEvent(CellEventKind.Spawned, creature, null, null, creature.SpawnedAtMs));
    }

    private void Despawn(Creature creature, string reason, string? winner = null, long? atMs = null)
    {
        // A creature whose capture is committing leaves as captured once the commit is back, not as
        // expired or excluded by a tick that ran meanwhile.
        if (reason != DespawnReasons.Captured && _referee.IsCommitting(creature.Id))
        {
            return;
        }

        if (!_creatures.Remove(creature.Id))
        {
            return;
        }

        _referee.Left(creature.Id, expired: reason == DespawnReasons.Expired, captured: reason == DespawnReasons.Captured);
        live.CreatureGone(creature.Id);

        ReleaseFromZone(creature);
        LogDespawn(logger, CellKey, creature.Id, reason);
        Publish(new CellEvent(CellEventKind.Despawned, creature, reason, winner, atMs ?? clock.NowMs));
    }

    private void ReleaseFromZone(Creature creature)
    {
        if (creature.SponsorZoneId is { } zoneId)
        {
            GrainFactory.GetGrain<IZoneGrain>(zoneId).Release(creature.Id);
        }
    }

    /// <summary>
    /// One group send to the watching connections and one message per node holding watchers (a
    /// direct call for this node), never a call per watcher. One-way: a slow node never holds the cell up.
    /// </summary>
    private void Publish(CellEvent cellEvent)
    {
        cellEvent = cellEvent with { Version = ++_version };
        broadcast.Publish(CellKey, cellEvent);
        var staleHere = false;
        var leaving = false;
        foreach (var (silo, (node, _)) in _nodes)
        {
            if (silo.Equals(replicas.Silo))
            {
                staleHere = !replicas.Apply(CellKey, cellEvent);
            }
            else if (siloDeaths.IsLeaving(silo))
            {
                leaving = true; // its players re-register from wherever their grains come back
            }
            else
            {
                node.Observer.OnCellEvent(CellKey, cellEvent);
            }
        }

        if (staleHere)
        {
            // No replica here means no live watcher here (see CellReplicas): goodbyes were lost.
            Forget(w => w.Node.Silo.Equals(replicas.Silo) && w.Since < cellEvent.Version);
        }

        if (leaving)
        {
            Forget(w => siloDeaths.IsLeaving(w.Node.Silo));
        }
    }

    private void Forget(Func<Watcher, bool> stale)
    {
        List<string>? gone = null;
        foreach (var (playerId, watcher) in _interest)
        {
            if (stale(watcher))
            {
                (gone ??= []).Add(playerId);
            }
        }

        if (gone is null)
        {
            return;
        }

        foreach (var playerId in gone)
        {
            _interest.Remove(playerId, out var watcher);
            LeaveNode(watcher.Node);
        }

        LogForgotten(logger, CellKey, gone.Count);
        if (_interest.Count == 0)
        {
            StopTicking();
        }
    }

    private void LeaveNode(CellNode node)
    {
        if (_nodes.TryGetValue(node.Silo, out var n))
        {
            if (n.Watchers <= 1)
            {
                _nodes.Remove(node.Silo);
            }
            else
            {
                _nodes[node.Silo] = (n.Node, n.Watchers - 1);
            }
        }
    }

    /// <summary>A player's interest, the node it watches through, and the cell's event version when it registered.</summary>
    private readonly record struct Watcher(CellInterest Interest, CellNode Node, long Since);

    private static double AreaSquareKm(CellBounds b)
    {
        var r = GeoMath.EarthRadiusMeters / 1000;
        var dLon = GeoMath.ToRadians(b.East - b.West);
        return r * r * dLon * Math.Abs(Math.Sin(GeoMath.ToRadians(b.North)) - Math.Sin(GeoMath.ToRadians(b.South)));
    }

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Cell {CellId}: dropped {Count} watchers whose goodbye was lost")]
    private static partial void LogForgotten(ILogger logger, string cellId, int count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Cell {CellId}: creature {CreatureId} despawned ({Reason})")]
    private static partial void LogDespawn(ILogger logger, string cellId, string creatureId, string reason);
}
