using System.Runtime.CompilerServices;
using GameBackend.Contracts;
using GameBackend.Server.Cells;
using GameBackend.Server.History;
using GameBackend.Server.Hosting;
using GameBackend.Server.Players;
using GameBackend.Server.Telemetry;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Realtime;

/// <summary>
/// The player-facing hub at <c>/hubs/game</c>. Untyped on purpose: server-to-client event names
/// are sent as the camelCase constants in <see cref="GameEvents"/>, which a typed
/// <c>Hub&lt;T&gt;</c> would turn into PascalCase method names.
/// The player id always comes from the token (<see cref="HubCallerContext.UserIdentifier"/>).
/// The endpoint requires an authenticated player (<c>MapGameServer</c>): the token is checked once
/// per connection, and the connection closes when it expires, instead of an authorization check on
/// every invocation of the hot path.
/// </summary>
public sealed partial class GameHub(
    IGrainFactory grains,
    GameClock clock,
    GameMetrics metrics,
    ConnectionDrain drain,
    IGameHistory history,
    CellReplicas replicas,
    IOptions<TransportOptions> transport,
    ILogger<GameHub> logger) : Hub
{
    /// <summary>
    /// Validates and applies one fix; answers with the ack, and with what is near when that changed
    /// since this connection's last list. A connection's fixes are applied one at a time in the
    /// order they arrived, whatever the rate; beyond <see cref="TransportOptions.MaxQueuedUpdates"/>
    /// waiting, a fix is answered <c>rateLimited</c> at once.
    /// </summary>
    public async Task<LocationAck> UpdateLocation(LocationUpdate? update)
    {
        if (update is null)
        {
            return new LocationAck { Seq = 0, Accepted = false, Reason = RejectReasons.Malformed };
        }

        var session = Session();
        if (!session.TryEnter(transport.Value.MaxQueuedUpdates))
        {
            metrics.LocationUpdate(RejectReasons.RateLimited);
            return new LocationAck
            {
                Seq = update.Seq, Accepted = false, Reason = RejectReasons.RateLimited, CellId = session.CellId, NearbyVersion = session.NearbyVersion,
            };
        }

        return await ApplyInTurn(session, update);
    }

    /// <summary>Client-to-server stream of fixes; rejected ones are reported with <c>locationRejected</c>.</summary>
    public async Task StreamLocation(IAsyncEnumerable<LocationUpdate?> updates)
    {
        var session = Session();
        await foreach (var update in updates.WithCancellation(Context.ConnectionAborted))
        {
            if (update is null)
            {
                await Clients.Caller.SendAsync(GameEvents.LocationRejected, new LocationRejected { Seq = 0, Reason = RejectReasons.Malformed });
                continue;
            }

            // In the same queue as UpdateLocation calls of this connection: one order for both. A
            // stream sends one fix at a time, so it never needs shedding.
            session.TryEnter(int.MaxValue);
            var ack = await ApplyInTurn(session, update);

            if (!ack.Accepted)
            {
                await Clients.Caller.SendAsync(
                    GameEvents.LocationRejected, new LocationRejected { Seq = update.Seq, Reason = ack.Reason ?? RejectReasons.Malformed });
            }
        }
    }

    /// <summary>Waits for this connection's earlier fixes, then applies this one; follows a successful <see cref="ConnectionSession.TryEnter"/>.</summary>
    private async Task<LocationAck> ApplyInTurn(ConnectionSession session, LocationUpdate update)
    {
        var hadTurn = false;
        try
        {
            await session.WaitTurnAsync(Context.ConnectionAborted);
            hadTurn = true;
            return await Apply(session, update);
        }
        finally
        {
            session.Exit(hadTurn);
        }
    }

    /// <summary>One fix through the player grain, in this connection's turn; joins the cell groups of a changed view.</summary>
    private async Task<LocationAck> Apply(ConnectionSession session, LocationUpdate update)
    {
        var fix = WireMapper.ToFix(update, NowMs());
        var result = await UpdatePlayer(session.Player, fix, session.NearbyVersion, session.ViewVersion);
        metrics.LocationUpdate(result.Reason);
        if (result.Accepted && history.Enabled &&
            (session.LastRecordedMs is not { } last || fix.ServerTimeMs - last >= history.PositionSampleIntervalMs))
        {
            // At most one stored fix per History:PositionSampleInterval (the game applied them all).
            // Durable before the ack: the row is in this node's journal (one group write for many
            // fixes) when the await returns. Rows are keyed by (player, seq), so a retried fix is one row.
            session.LastRecordedMs = fix.ServerTimeMs;
            await history.PositionAsync(HistoryRows.Position(session.PlayerId, fix, result.CellId!));
        }

        session.CellId = result.CellId;
        if (result.View is { } view)
        {
            await JoinView(session, view, result.ViewVersion);
        }

        NearbyCreature[]? nearby = null;
        if (result.Nearby is { } list)
        {
            nearby = WireMapper.ToNearby(list);
            session.NearbyVersion = result.NearbyVersion;
        }

        return WireMapper.ToAck(update.Seq, result, nearby);
    }

    /// <summary>
    /// The connection follows its player's view: it joins the groups of newly watched cells and
    /// leaves the others, so cell events reach it with one group send per cell (see <see cref="CellGroups"/>).
    /// </summary>
    private async Task JoinView(ConnectionSession session, IReadOnlyList<string> view, long version)
    {
        var before = session.Cells;
        foreach (var cell in view)
        {
            if (!before.Contains(cell))
            {
                await Groups.AddToGroupAsync(Context.ConnectionId, CellGroups.GroupOf(cell));
            }
        }

        foreach (var cell in before)
        {
            if (!view.Contains(cell))
            {
                await Groups.RemoveFromGroupAsync(Context.ConnectionId, CellGroups.GroupOf(cell));
            }
        }

        session.Cells = view;
        session.ViewVersion = version;
    }

    /// <summary>The player's current server-side state.</summary>
    public async Task<PlayerState> GetState() => WireMapper.ToState(await CallPlayer(static p => p.GetState().AsTask()));

    /// <summary>Creatures within the visibility radius of the last accepted position, nearest first.</summary>
    public async Task<NearbyCreature[]> GetNearby() => WireMapper.ToNearby(await CallPlayer(static p => p.GetNearby().AsTask()));

    /// <summary>Throws at a creature; exactly one thrower wins; the same attemptId always gets the same answer.</summary>
    public async Task<CaptureResult> TryCapture(CaptureRequest? request)
    {
        if (request is null || string.IsNullOrWhiteSpace(request.CreatureId) || string.IsNullOrWhiteSpace(request.AttemptId) ||
            request.CreatureId.Length > 128 || request.AttemptId.Length > 128)
        {
            return new CaptureResult
            {
                AttemptId = request?.AttemptId ?? "",
                CreatureId = request?.CreatureId ?? "",
                Outcome = CaptureOutcomes.Rejected,
            };
        }

        // A late throw in a capture race: this node already heard who won, so the answer is the one
        // the cell gives every thrower after the winner, without a call to the player or cell grain
        // (in a storm of a thousand throwers most throws are late). The winner's own throws, and a
        // retry of an attempt this connection already sent to the grain, still go there: its memo
        // keeps the first answer (see docs/protocol.md).
        var session = Session();
        if (replicas.TryRecentCapture(request.CreatureId, out var taken) && taken.WinnerPlayerId != session.PlayerId &&
            !session.WasForwarded(request.AttemptId))
        {
            return new CaptureResult
            {
                AttemptId = request.AttemptId,
                CreatureId = request.CreatureId,
                Outcome = taken.Outcome,
                WinnerPlayerId = taken.WinnerPlayerId,
                CapturedAt = taken.CapturedAtMs,
            };
        }

        // The attempt id makes the throw safe to repeat (see docs/protocol.md).
        session.MarkForwarded(request.AttemptId);
        var verdict = await CallPlayer(p => p.TryCapture(request.CreatureId, request.AttemptId));

        return new CaptureResult
        {
            AttemptId = request.AttemptId,
            CreatureId = request.CreatureId,
            Outcome = verdict.Outcome,
            DistanceMeters = verdict.DistanceMeters,
            WinnerPlayerId = verdict.WinnerPlayerId,
            CapturedAt = verdict.CapturedAtMs,
        };
    }

    public override Task OnConnectedAsync()
    {
        if (drain.Stopping)
        {
            // A reconnect racing a graceful stop would otherwise keep the node alive until the
            // shutdown timeout; the client retries and the load balancer picks another node.
            Context.Abort();
            return Task.CompletedTask;
        }

        LogConnected(logger, Context.UserIdentifier ?? "?", Context.ConnectionId);
        metrics.Connected(1);
        drain.Add(Context.ConnectionId);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        LogDisconnected(logger, Context.UserIdentifier ?? "?", Context.ConnectionId, exception?.Message);
        metrics.Connected(-1);
        drain.Remove(Context.ConnectionId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// One fix to the player grain. A call lost to a node leaving the cluster (the grain lived there)
    /// is made again: the fix carries its sequence number and history rows are keyed by it. The hot
    /// path: no closure, and the state machine comes from a pool.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<LocationResult> UpdatePlayer(IPlayerGrain player, Domain.Movement.LocationFix fix, long nearbyVersion, long viewVersion)
    {
        try
        {
            return await player.UpdateLocation(fix, nearbyVersion, viewVersion);
        }
        catch (Exception ex) when (LostCalls.IsLost(ex))
        {
            return await LostCalls.RetryAsync(
                static s => s.player.UpdateLocation(s.fix, s.nearbyVersion, s.viewVersion).AsTask(), (player, fix, nearbyVersion, viewVersion), ex, logger, "player grain");
        }
    }

    /// <summary>Any other call to the player grain, made again when a node leaving the cluster lost it (all are idempotent).</summary>
    private async Task<T> CallPlayer<T>(Func<IPlayerGrain, Task<T>> call)
    {
        var player = Session().Player;
        try
        {
            return await call(player);
        }
        catch (Exception ex) when (LostCalls.IsLost(ex))
        {
            return await LostCalls.RetryAsync(static s => s.call(s.player), (call, player), ex, logger, "player grain");
        }
    }

    // Hubs are created per invocation; the connection's items live on.
    private ConnectionSession Session()
    {
        if (Context.Items.TryGetValue(typeof(ConnectionSession), out var cached) && cached is ConnectionSession session)
        {
            return session;
        }

        lock (Context.Items)
        {
            if (Context.Items.TryGetValue(typeof(ConnectionSession), out cached) && cached is ConnectionSession raced)
            {
                return raced;
            }

            var playerId = Context.UserIdentifier ?? throw new HubException("The access token carries no player id.");
            session = new ConnectionSession(playerId, grains.GetGrain<IPlayerGrain>(playerId));
            Context.Items[typeof(ConnectionSession)] = session;
            return session;
        }
    }

    private long NowMs() => clock.NowMs;

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Player {PlayerId} connected ({ConnectionId})")]
    private static partial void LogConnected(ILogger logger, string playerId, string connectionId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Player {PlayerId} disconnected ({ConnectionId}): {Error}")]
    private static partial void LogDisconnected(ILogger logger, string playerId, string connectionId, string? error);
}
