using System.Collections.Immutable;
using GameBackend.Domain.Cells;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Movement;
using GameBackend.Server.Cells;
using GameBackend.Server.Creatures;
using GameBackend.Contracts;
using GameBackend.Data.History;
using GameBackend.Server.History;
using GameBackend.Server.Hosting;
using GameBackend.Server.Realtime;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Players;

/// <inheritdoc cref="IPlayerGrain"/>
internal sealed partial class PlayerGrain(
    CellGrid grid,
    IOptions<WorldOptions> world,
    IOptions<MovementOptions> movement,
    GameClock clock,
    IPlayerPush push,
    IGameHistory history,
    Domain.Capture.CaptureRules captureRules,
    Telemetry.GameMetrics metrics,
    Operators.LiveMap live,
    Spawning.WorldCache zoneCache,
    SiloDeaths siloDeaths,
    ILogger<PlayerGrain> logger) : Grain, IPlayerGrain
{
    // Device clocks lie; the history column still needs a representable time.
    private const long MaxUnixMs = 253_402_300_799_999;

    // The one goodbye a stopping node's player grains send: short, they must not hold the stop up.
    private static readonly TimeSpan GoodbyeTimeout = TimeSpan.FromMilliseconds(250);

    private readonly MovementValidator _movement = new(movement.Value.ToRules());
    private readonly WorldOptions _world = world.Value;

    // The cells the player watches (its view) and the creatures in them. The view is a function of
    // the current cell only, so it changes exactly when the player crosses a boundary.
    private readonly Dictionary<string, CellInterest> _view = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Creature> _visible = new(StringComparer.Ordinal);
    // Throws already answered (retries are idempotent) and creatures that left the view, for a
    // clear answer to late throws. Both bounded.
    private readonly Dictionary<string, CaptureVerdict> _attempts = new(StringComparer.Ordinal);
    private readonly Queue<string> _attemptOrder = new();
    private readonly Dictionary<string, CaptureVerdict> _gone = new(StringComparer.Ordinal);
    private readonly Queue<string> _goneOrder = new();
    // Sponsor zones overlapping the current cell (re-read on every crossing and every zone-cache
    // reload), and the zones whose creatures this player has been shown (conversion analytics).
    private IReadOnlyList<Spawning.CachedZone> _zonesHere = [];
    private int _zonesVersion = -1;
    private bool _inZoneCell;
    private readonly HashSet<string> _sightedZones = new(StringComparer.Ordinal);
    private CellId? _cell;
    private string? _cellText;
    private IGrainTimer? _presenceTimer;
    private int _siloDeathsSeen;

    private string PlayerId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        metrics.PlayerGrains(1);
        _siloDeathsSeen = siloDeaths.Count;
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, _world.PresenceTimeout.Ticks / 2));
        _presenceTimer = this.RegisterGrainTimer(ExpirePresence, new GrainTimerCreationOptions(period, period) { KeepAlive = false });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _presenceTimer?.Dispose();
        metrics.PlayerGrains(-1);
        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown)
        {
            // The whole silo is stopping and its cells with it: one quick, best-effort goodbye to
            // cells that may live elsewhere, no retries (they would only re-place grains on a
            // stopping node). A cell that misses it is told again the next time it publishes to
            // this player (see OnCellEvent). A node stopping alone has no cells left to tell.
            if (siloDeaths.AnyOtherNodeActive())
            {
                await LeaveAllCellsOnce();
            }
            else
            {
                ForgetView();
            }

            return;
        }

        await LeaveAllCells();
    }

    public async ValueTask<LocationResult> UpdateLocation(LocationFix fix)
    {
        var verdict = _movement.Apply(fix);
        if (!verdict.Accepted)
        {
            if (verdict.Reason == MovementValidator.Reasons.ImplausibleSpeed)
            {
                var strikes = _movement.StrikesAt(fix.ServerTimeMs);
                LogImplausibleSpeed(logger, PlayerId, verdict.ImpliedSpeed ?? 0, strikes);
            }

            return new LocationResult(false, verdict.Reason, _cellText, []);
        }

        var deaths = siloDeaths.Count;
        if (deaths != _siloDeathsSeen)
        {
            await RewatchView();
            _siloDeathsSeen = deaths;
        }

        var position = new GeoPoint(fix.Latitude, fix.Longitude);
        var cell = grid.CellOf(position);
        if (cell != _cell)
        {
            await MoveTo(cell);
        }

        live.PlayerMoved(PlayerId, fix.Latitude, fix.Longitude, fix.Heading, fix.ServerTimeMs);
        var nearby = NearbyFrom(position, fix.ServerTimeMs);
        if (history.Enabled)
        {
            RecordZones(position, fix.ServerTimeMs, nearby);
            await history.PositionAsync(new PositionSample(
                PlayerId, fix.Seq, DateTimeOffset.FromUnixTimeMilliseconds(fix.ServerTimeMs), DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(fix.DeviceTimeMs, 0, MaxUnixMs)),
                fix.Latitude, fix.Longitude, (float?)fix.Accuracy, (float?)fix.Heading, (float?)fix.Speed, (float?)fix.Course,
                (float?)fix.AccelX, (float?)fix.AccelY, (float?)fix.AccelZ, _cellText!));
        }

        return new LocationResult(true, null, _cellText, nearby);
    }

    public ValueTask<PlayerSnapshot> GetState() =>
        ValueTask.FromResult(new PlayerSnapshot(PlayerId, _movement.Last, _cellText, _movement.StrikesAt(NowMs())));

    public ValueTask<ImmutableArray<NearbyView>> GetNearby() =>
        ValueTask.FromResult(_movement.Last is { } last
            ? NearbyFrom(new GeoPoint(last.Latitude, last.Longitude), NowMs())
            : ImmutableArray<NearbyView>.Empty);

    public async Task<CaptureVerdict> TryCapture(string creatureId, string attemptId)
    {
        if (_attempts.TryGetValue(attemptId, out var earlier))
        {
            return earlier;
        }

        var verdict = await Judge(creatureId, attemptId);
        Remember(_attempts, _attemptOrder, attemptId, verdict);
        return verdict;
    }

    private async Task<CaptureVerdict> Judge(string creatureId, string attemptId)
    {
        var now = NowMs();
        var strikes = _movement.StrikesAt(now);
        if (strikes >= captureRules.Options.StrikeThreshold || _movement.Last is not { } last)
        {
            return new CaptureVerdict(CaptureOutcomes.Rejected, null, null, null);
        }

        if (!_visible.TryGetValue(creatureId, out var creature))
        {
            return _gone.TryGetValue(creatureId, out var gone) ? gone : new CaptureVerdict(CaptureOutcomes.NotFound, null, null, null);
        }

        // Range is judged by the cell from this position: the server's, never the request's. The
        // cell answers a repeated attempt id with its first verdict, so a call lost to a departing
        // node is made again like SetInterest's.
        var attempt = new CaptureAttempt(creatureId, attemptId, PlayerId, last.Latitude, last.Longitude, strikes);
        var verdict = await CallCell(creature.CellId, cell => cell.TryCapture(attempt));
        if (verdict.Outcome == CaptureOutcomes.Captured && verdict.WinnerPlayerId == PlayerId && history.Enabled)
        {
            LogCaptured(logger, PlayerId, creatureId);
        }

        return verdict;
    }

    private static void Remember(Dictionary<string, CaptureVerdict> map, Queue<string> order, string key, CaptureVerdict value)
    {
        if (map.TryAdd(key, value))
        {
            order.Enqueue(key);
            if (order.Count > 256)
            {
                map.Remove(order.Dequeue());
            }
        }
    }

    public async Task OnCellEvent(string cellId, CellEvent cellEvent)
    {
        if (!_view.ContainsKey(cellId))
        {
            // A late event from a cell we have left, or a cell that never heard we left (our goodbye
            // was lost when a node stopped): tell it again, so it stops publishing to us.
            await GrainFactory.GetGrain<ICellGrain>(cellId).SetInterest(PlayerId, CellInterest.None);
            return;
        }

        var creature = cellEvent.Creature;
        switch (cellEvent.Kind)
        {
            case CellEventKind.Spawned:
                _visible[creature.Id] = creature;
                await push.CreatureSpawned(PlayerId, creature);
                break;
            case CellEventKind.Despawned:
                _visible.Remove(creature.Id);
                Remember(_gone, _goneOrder, creature.Id, cellEvent.Reason switch
                {
                    DespawnReasons.Captured => new CaptureVerdict(CaptureOutcomes.AlreadyCaptured, null, cellEvent.WinnerPlayerId, cellEvent.AtMs),
                    DespawnReasons.Expired => new CaptureVerdict(CaptureOutcomes.Expired, null, null, null),
                    _ => new CaptureVerdict(CaptureOutcomes.NotFound, null, null, null),
                });
                if (cellEvent.Reason == DespawnReasons.Captured && cellEvent.WinnerPlayerId is { } winner)
                {
                    await push.CreatureCaptured(PlayerId, new CreatureCaptured
                    {
                        CreatureId = creature.Id,
                        Species = creature.Species,
                        WinnerPlayerId = winner,
                        CapturedAt = cellEvent.AtMs,
                        CellId = creature.CellId,
                    });
                }

                await push.CreatureDespawned(PlayerId, cellEvent);
                break;
        }
    }

    private void RecordZones(GeoPoint position, long nowMs, ImmutableArray<NearbyView> nearby)
    {
        if (_zonesVersion != zoneCache.Version && _cell is { } cell)
        {
            _zonesHere = [.. zoneCache.ZonesOverlapping(grid.Bounds(cell))];
            _zonesVersion = zoneCache.Version;
        }

        // Exits need one more observation after leaving the last zone cell.
        if (_zonesHere.Count > 0 || _inZoneCell)
        {
            ServiceProvider.GetRequiredService<ZoneVisits>().Observe(PlayerId, position, DateTimeOffset.FromUnixTimeMilliseconds(nowMs), _zonesHere);
            _inZoneCell = _zonesHere.Count > 0;
        }

        foreach (var view in nearby)
        {
            if (view.Creature.SponsorZoneId is { } zoneId && _sightedZones.Add(zoneId) && Guid.TryParse(zoneId, out var zone))
            {
                history.Sighting(new CreatureSighting(zone, PlayerId, DateTimeOffset.FromUnixTimeMilliseconds(nowMs)));
            }
        }
    }

    private ImmutableArray<NearbyView> NearbyFrom(GeoPoint position, long nowMs)
    {
        if (_visible.Count == 0)
        {
            return [];
        }

        var radius = _world.VisibilityRadiusMeters;
        var builder = ImmutableArray.CreateBuilder<NearbyView>();
        foreach (var creature in _visible.Values)
        {
            if (creature.ExpiresAtMs <= nowMs)
            {
                continue;
            }

            var distance = GeoMath.DistanceMeters(position, creature.Position);
            if (distance <= radius)
            {
                builder.Add(new NearbyView(creature, distance, GeoMath.InitialBearingDegrees(position, creature.Position)));
            }
        }

        builder.Sort(static (a, b) => a.DistanceMeters.CompareTo(b.DistanceMeters));
        return builder.DrainToImmutable();
    }

    /// <summary>Crossing a boundary: only cells whose interest changes are called, in parallel.</summary>
    private async Task MoveTo(CellId cell)
    {
        var cellText = cell.ToString();
        var wanted = new Dictionary<string, CellInterest>(StringComparer.Ordinal);
        foreach (var id in grid.CellsWithin(cell, _world.VisibilityRadiusMeters))
        {
            wanted[id.ToString()] = CellInterest.Watching;
        }

        wanted[cellText] = CellInterest.Present;

        var calls = new List<Task<ImmutableArray<Creature>>>();
        foreach (var (id, interest) in wanted)
        {
            if (!_view.TryGetValue(id, out var current) || current != interest)
            {
                calls.Add(SetInterest(id, interest));
            }
        }

        foreach (var id in _view.Keys)
        {
            if (!wanted.ContainsKey(id))
            {
                calls.Add(SetInterest(id, CellInterest.None));
            }
        }

        var snapshots = await Task.WhenAll(calls);

        foreach (var id in _view.Keys.Where(id => !wanted.ContainsKey(id)).ToList())
        {
            _view.Remove(id);
        }

        foreach (var (id, interest) in wanted)
        {
            _view[id] = interest;
        }

        // Creatures of cells we stopped watching go; those of newly watched cells arrive in the snapshots.
        foreach (var creature in _visible.Values.Where(c => !_view.ContainsKey(c.CellId)).ToList())
        {
            _visible.Remove(creature.Id);
        }

        foreach (var creatures in snapshots)
        {
            foreach (var creature in creatures)
            {
                _visible[creature.Id] = creature;
            }
        }

        _cell = cell;
        _cellText = cellText;
        _zonesVersion = -1;
        LogCrossed(logger, PlayerId, cellText, _view.Count);
    }

    /// <summary>
    /// After a node died, cells that lived there were re-activated without their watchers (and with
    /// new creatures): register again with every cell of the view and take its creatures as they are now.
    /// Runs once per silo death per player: one call per cell of the view.
    /// </summary>
    private async Task RewatchView()
    {
        if (_view.Count == 0)
        {
            return;
        }

        var snapshots = await Task.WhenAll(_view.Select(v => SetInterest(v.Key, v.Value)));
        _visible.Clear();
        foreach (var creatures in snapshots)
        {
            foreach (var creature in creatures)
            {
                _visible[creature.Id] = creature;
            }
        }

        LogRewatched(logger, PlayerId, _view.Count);
    }

    /// <summary>
    /// Registers with one cell. SetInterest is idempotent (it answers the cell's full list every
    /// time), so a call lost to a node leaving the cluster (a graceful stop, or a kill before the
    /// node is declared dead) is made again after a pause, and lands on the cell's next activation.
    /// </summary>
    private Task<ImmutableArray<Creature>> SetInterest(string cellId, CellInterest interest) =>
        CallCell(cellId, cell => cell.SetInterest(PlayerId, interest));

    /// <summary>One call to a cell, made again when a node leaving the cluster lost it (<see cref="LostCalls"/>).</summary>
    private async Task<T> CallCell<T>(string cellId, Func<ICellGrain, Task<T>> call)
    {
        var cell = GrainFactory.GetGrain<ICellGrain>(cellId);
        try
        {
            return await call(cell);
        }
        catch (Exception ex) when (LostCalls.IsLost(ex))
        {
            return await LostCalls.RetryAsync(static s => s.call(s.cell), (call, cell), ex, logger, "cell " + cellId);
        }
    }

    private async Task LeaveAllCellsOnce()
    {
        try
        {
            await Task.WhenAll(_view.Keys.Select(id => GrainFactory.GetGrain<ICellGrain>(id).SetInterest(PlayerId, CellInterest.None)))
                .WaitAsync(GoodbyeTimeout);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            LogLeaveSkipped(logger, PlayerId, ex.Message);
        }

        ForgetView();
    }

    private void ForgetView()
    {
        _view.Clear();
        _visible.Clear();
        live.PlayerLeft(PlayerId);
    }

    private async Task LeaveAllCells()
    {
        if (_view.Count == 0)
        {
            return;
        }

        var calls = _view.Keys.Select(id => SetInterest(id, CellInterest.None));
        await Task.WhenAll(calls);
        ForgetView();
        _cell = null;
        _cellText = null;
    }

    private async Task ExpirePresence(CancellationToken cancellationToken)
    {
        if (_movement.Last is { } last && NowMs() - last.ServerTimeMs > (long)_world.PresenceTimeout.TotalMilliseconds)
        {
            await LeaveAllCells();
        }
    }

    private long NowMs() => clock.NowMs;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Player {PlayerId}: implausible speed {Speed:F1} m/s rejected; strikes now {Strikes}")]
    private static partial void LogImplausibleSpeed(ILogger logger, string playerId, double speed, int strikes);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Player {PlayerId} captured {CreatureId}")]
    private static partial void LogCaptured(ILogger logger, string playerId, string creatureId);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Player {PlayerId}: a node died; registered again with the {Cells} cells of its view")]
    private static partial void LogRewatched(ILogger logger, string playerId, int cells);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Player {PlayerId}: leaving its cells while the node stops did not finish: {Error}")]
    private static partial void LogLeaveSkipped(ILogger logger, string playerId, string error);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Player {PlayerId} entered cell {CellId}; watching {Cells} cells")]
    private static partial void LogCrossed(ILogger logger, string playerId, string cellId, int cells);
}
