using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using GameBackend.Domain.Cells;
using GameBackend.Domain.Collections;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Movement;
using GameBackend.Server.Cells;
using GameBackend.Server.Creatures;
using GameBackend.Contracts;
using GameBackend.Data.History;
using GameBackend.Server.History;
using GameBackend.Server.Hosting;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Players;

/// <inheritdoc cref="IPlayerGrain"/>
internal sealed partial class PlayerGrain(
    CellGrid grid,
    IOptions<WorldOptions> world,
    IOptions<MovementOptions> movement,
    GameClock clock,
    CellReplicas replicas,
    IGameHistory history,
    Domain.Capture.CaptureRules captureRules,
    Telemetry.GameMetrics metrics,
    Operators.LiveMap live,
    Spawning.WorldCache zoneCache,
    SiloDeaths siloDeaths,
    Data.FairPlay.IFairPlayStore fairPlay,
    ILogger<PlayerGrain> logger) : Grain, IPlayerGrain
{
    // The one goodbye a stopping node's player grains send: short, they must not hold the stop up.
    private static readonly TimeSpan GoodbyeTimeout = TimeSpan.FromMilliseconds(250);

    // Storage calls for the anti-cheat state: bounded, a slow database must not hold the player up.
    private static readonly TimeSpan FairPlayTimeout = TimeSpan.FromSeconds(2);

    private readonly MovementValidator _movement = new(movement.Value.ToRules());
    // What the store holds, so that unchanged state is not written again, and when it was written.
    private FairPlayState _fairPlaySaved;
    private long _fairPlaySavedAtMs = long.MinValue;
    private readonly WorldOptions _world = world.Value;

    // The cells the player watches and what is near it. The view is a function of the current cell
    // only, so it changes exactly when the player crosses a boundary; the cells' events update the
    // replicas without a call to this grain.
    private readonly PlayerView _view = new(world.Value.VisibilityRadiusMeters);
    // Throws already answered (retries are idempotent), bounded.
    private readonly BoundedMemo<CaptureVerdict> _attempts = new(256);
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

    // Read from the grain id once: GetPrimaryKeyString builds a new string on every call.
    private string PlayerId => _playerId ??= this.GetPrimaryKeyString();

    private string? _playerId;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        metrics.PlayerGrains(1);
        _siloDeathsSeen = siloDeaths.Count;
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, _world.PresenceTimeout.Ticks / 2));
        _presenceTimer = this.RegisterGrainTimer(ExpirePresence, new GrainTimerCreationOptions(period, period) { KeepAlive = false });
        await RestoreFairPlay(cancellationToken);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _presenceTimer?.Dispose();
        metrics.PlayerGrains(-1);
        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown)
        {
            // The whole silo is stopping and its cells with it: one quick, best-effort goodbye to
            // cells that may live elsewhere, no retries (they would only re-place grains on a
            // stopping node). A cell that misses it learns from this node's next answer to one of
            // its events (see CellReplicas). A node stopping alone has no cells left to tell.
            if (siloDeaths.AnyOtherNodeActive())
            {
                await LeaveAllCellsOnce();
            }
            else
            {
                ForgetView();
            }

            // After the goodbye, which must not wait for the database (a strike is already stored).
            await SaveFairPlay();
            return;
        }

        await LeaveAllCells();
        await SaveFairPlay();
    }

    // Completes synchronously unless the fix crosses a boundary; then the state machine comes from a pool.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<LocationResult> UpdateLocation(LocationFix fix, long knownNearbyVersion, long knownViewVersion)
    {
        var verdict = _movement.Apply(fix);
        if (!verdict.Accepted)
        {
            if (verdict.Reason == MovementValidator.Reasons.ImplausibleSpeed)
            {
                var strikes = _movement.StrikesAt(fix.ServerTimeMs);
                LogImplausibleSpeed(logger, PlayerId, verdict.ImpliedSpeed ?? 0, strikes);
                // Stored before the answer, so a node killed right after keeps the strike; at most
                // once a second, so a flood of teleports is not a flood of writes (the presence
                // timer and the deactivation store the rest).
                if (_fairPlaySavedAtMs == long.MinValue || fix.ServerTimeMs - _fairPlaySavedAtMs >= 1_000 || fix.ServerTimeMs < _fairPlaySavedAtMs)
                {
                    await SaveFairPlay();
                }
            }

            return new LocationResult(false, verdict.Reason, _cellText, _view.NearbyVersion, null, _view.Version, null);
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
        var changed = _view.Look(position, fix.ServerTimeMs);

        if (history.Enabled)
        {
            // The position row itself is written by the hub once this answer is back (outside the
            // grain: awaiting the journal here held the turn and cost a scheduler hop per fix).
            RecordZones(position, fix.ServerTimeMs, changed);
        }

        // Most fixes change nothing near: no list is built, nothing is allocated for it.
        return new LocationResult(true, null, _cellText,
            _view.NearbyVersion, knownNearbyVersion == _view.NearbyVersion ? null : _view.NearbyViews(position),
            _view.Version, knownViewVersion == _view.Version ? null : _view.Cells);
    }

    public ValueTask<PlayerSnapshot> GetState() =>
        ValueTask.FromResult(new PlayerSnapshot(PlayerId, _movement.Last, _cellText, _movement.StrikesAt(NowMs())));

    public ValueTask<ImmutableArray<NearbyView>> GetNearby()
    {
        if (_movement.Last is not { } last)
        {
            return ValueTask.FromResult(ImmutableArray<NearbyView>.Empty);
        }

        return ValueTask.FromResult(_view.Around(new GeoPoint(last.Latitude, last.Longitude), NowMs()));
    }

    public async Task<CaptureVerdict> TryCapture(string creatureId, string attemptId)
    {
        if (_attempts.TryGet(attemptId, out var earlier))
        {
            return earlier;
        }

        var verdict = await Judge(creatureId, attemptId);
        _attempts.TryRemember(attemptId, verdict);
        return verdict;
    }

    private async Task<CaptureVerdict> Judge(string creatureId, string attemptId)
    {
        var now = NowMs();
        var strikes = _movement.StrikesAt(now);
        if (strikes >= captureRules.Options.StrikeThreshold || _movement.IsBannedAt(now) || _movement.Last is not { } last)
        {
            return new CaptureVerdict(CaptureOutcomes.Rejected, null, null, null);
        }

        if (_view.Find(creatureId) is not { } creature)
        {
            // Gone from a watched cell (captured, expired, excluded): the clear answer the cell gave all nodes.
            return _view.TryGone(creatureId, out var gone) ? gone : new CaptureVerdict(CaptureOutcomes.NotFound, null, null, null);
        }

        // Range is judged by the cell from this position: the server's, never the request's. The
        // cell answers a repeated attempt id with its first verdict, so a call lost to a departing
        // node is made again like Watch.
        var attempt = new CaptureAttempt(creatureId, attemptId, PlayerId, last.Latitude, last.Longitude, strikes);
        var verdict = await CallCell(creature.CellId, cell => cell.TryCapture(attempt));
        if (verdict.Outcome == CaptureOutcomes.Captured && verdict.WinnerPlayerId == PlayerId && history.Enabled)
        {
            LogCaptured(logger, PlayerId, creatureId);
        }

        return verdict;
    }

    private void RecordZones(GeoPoint position, long nowMs, bool nearbyChanged)
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

        if (!nearbyChanged)
        {
            return; // Sightings are per zone and player: only a new nearby set can hold a new one.
        }

        foreach (var (creature, _) in _view.Nearby)
        {
            if (creature.SponsorZoneId is { } zoneId && _sightedZones.Add(zoneId) && Guid.TryParse(zoneId, out var zone))
            {
                history.Sighting(new CreatureSighting(zone, PlayerId, DateTimeOffset.FromUnixTimeMilliseconds(nowMs)));
            }
        }
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

        // Replicas are acquired before the cells hear of us and released after the goodbye (the
        // invariant CellReplicas states), so no event of a watched cell can miss this node.
        var calls = new List<Task>();
        foreach (var (id, interest) in wanted)
        {
            if (!_view.TryGet(id, out var current, out var held))
            {
                var replica = replicas.Acquire(id);
                _view.Set(id, interest, replica);
                calls.Add(Watch(id, interest, replica, reset: false));
            }
            else if (current != interest)
            {
                _view.Set(id, interest, held);
                calls.Add(Watch(id, interest, held, reset: false));
            }
        }

        foreach (var (id, replica) in _view.Outside(wanted))
        {
            _view.Remove(id);
            calls.Add(Leave(id, replica));
        }

        await Task.WhenAll(calls);

        _view.Commit();
        _cell = cell;
        _cellText = cellText;
        _zonesVersion = -1;
        LogCrossed(logger, PlayerId, cellText, _view.Count);
    }

    private async Task Watch(string cellId, CellInterest interest, CellReplica replica, bool reset)
    {
        var creatures = await CallCell(cellId, cell => cell.Watch(PlayerId, interest, replicas.Node));
        replica.Seed(creatures, reset);
    }

    private async Task Leave(string cellId, CellReplica replica)
    {
        try
        {
            await CallCell(cellId, cell => cell.Watch(PlayerId, CellInterest.None, null));
        }
        finally
        {
            replicas.Release(replica);
        }
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

        await Task.WhenAll(_view.Entries.Select(v => Watch(v.CellId, v.Interest, v.Replica, reset: true)));
        LogRewatched(logger, PlayerId, _view.Count);
    }

    /// <summary>One call to a cell, made again when a node leaving the cluster lost it (<see cref="LostCalls"/>; every cell method used here is idempotent).</summary>
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
            await Task.WhenAll(_view.CellIds.Select(id => GrainFactory.GetGrain<ICellGrain>(id).Watch(PlayerId, CellInterest.None, null)))
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
        foreach (var replica in _view.Clear())
        {
            replicas.Release(replica);
        }

        live.PlayerLeft(PlayerId);
    }

    private async Task LeaveAllCells()
    {
        if (_view.Count == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(_view.CellIds.Select(id => CallCell(id, cell => cell.Watch(PlayerId, CellInterest.None, null))));
        }
        finally
        {
            ForgetView();
            _cell = null;
            _cellText = null;
        }
    }

    private async Task ExpirePresence(CancellationToken cancellationToken)
    {
        // The trusted position moves with every accepted fix; it is stored here (once per period
        // at most) rather than per fix, which would be a database write on the hot path.
        await SaveFairPlay();
        if (_movement.Last is { } last && NowMs() - last.ServerTimeMs > (long)_world.PresenceTimeout.TotalMilliseconds)
        {
            await LeaveAllCells();
        }
    }

    private long NowMs() => clock.NowMs;

    private async Task RestoreFairPlay(CancellationToken cancellationToken)
    {
        try
        {
            if (await fairPlay.LoadAsync(PlayerId, cancellationToken).WaitAsync(FairPlayTimeout, cancellationToken) is { } stored)
            {
                _movement.Restore(stored, NowMs());
                _fairPlaySaved = stored;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The game keeps running without the record (fail open): refusing to activate would lock
            // every player out while the database is down. Logged, so the gap is visible.
            LogFairPlayUnavailable(logger, PlayerId, "load", ex.Message);
        }
    }

    private async Task SaveFairPlay()
    {
        var state = _movement.Snapshot();
        if (state == _fairPlaySaved)
        {
            return;
        }

        try
        {
            await fairPlay.SaveAsync(PlayerId, state).WaitAsync(FairPlayTimeout);
            _fairPlaySaved = state;
            _fairPlaySavedAtMs = NowMs();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFairPlayUnavailable(logger, PlayerId, "save", ex.Message);
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Player {PlayerId}: anti-cheat state {Operation} failed, continuing without it: {Error}")]
    private static partial void LogFairPlayUnavailable(ILogger logger, string playerId, string operation, string error);

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
