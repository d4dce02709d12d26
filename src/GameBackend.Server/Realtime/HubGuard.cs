using System.Collections.Concurrent;
using System.Net;
using GameBackend.Contracts;
using GameBackend.Server.Hosting;
using GameBackend.Server.Players;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Realtime;

/// <summary>
/// Per-connection limits on the game hub (issue 12, findings 4 and 7), kept out of
/// <see cref="GameHub"/> so the hub stays about the game: connections per player and per IP, the
/// throw rate, open location streams, implausible <c>seq</c> jumps, and a rate limit in front of
/// the player grain that also closes a connection which keeps flooding.
/// </summary>
internal sealed partial class HubGuard(
    ConnectionQuotas quotas,
    GameClock clock,
    IGrainFactory grains,
    IOptions<LimitsOptions> limits,
    IOptions<MovementOptions> movement,
    ILogger<HubGuard> logger) : IHubFilter
{
    /// <summary>The <c>outcome</c> of a throw beyond <see cref="LimitsOptions.ThrowsPerSecond"/>.</summary>
    public const string ThrowRateLimited = "rateLimited";

    /// <summary>The <c>reason</c> of a fix whose <c>seq</c> jumps more than <see cref="LimitsOptions.MaxSeqJump"/> ahead.</summary>
    public const string ImplausibleSequence = "implausibleSequence";

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        var connection = context.Context;
        var ip = RemoteIp(connection);
        if (!quotas.TryAdd(connection.UserIdentifier, ip, out var refusal))
        {
            // Negotiate already refused most of these (ConnectionQuotas.Middleware); this catches a race.
            LogRefused(logger, connection.UserIdentifier ?? "?", ip, refusal!);
            connection.Abort();
            return;
        }

        connection.Items[typeof(HubGuard)] = new ConnectionLimits(ip);
        await next(context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (context.Context.Items.TryGetValue(typeof(HubGuard), out var state) && state is ConnectionLimits counted)
        {
            quotas.Remove(context.Context.UserIdentifier, counted.Ip);
        }

        await next(context, exception);
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (!invocation.Context.Items.TryGetValue(typeof(HubGuard), out var state) || state is not ConnectionLimits connection)
        {
            return await next(invocation);
        }

        switch (invocation.HubMethodName)
        {
            case HubMethods.TryCapture:
                if (!connection.Throws.TryTake(clock.NowMs, limits.Value.ThrowsPerSecond, limits.Value.ThrowBurst))
                {
                    var request = invocation.HubMethodArguments.Count > 0 ? invocation.HubMethodArguments[0] as CaptureRequest : null;
                    return new CaptureResult { AttemptId = request?.AttemptId ?? "", CreatureId = request?.CreatureId ?? "", Outcome = ThrowRateLimited };
                }

                return await next(invocation);

            case HubMethods.UpdateLocation when invocation.HubMethodArguments.Count > 0 && invocation.HubMethodArguments[0] is LocationUpdate update:
                return await UpdateAsync(invocation, connection, update, next);

            case HubMethods.StreamLocation:
                if (Interlocked.Increment(ref connection.OpenStreams) > limits.Value.MaxStreamsPerConnection)
                {
                    Interlocked.Decrement(ref connection.OpenStreams);
                    throw new HubException($"At most {limits.Value.MaxStreamsPerConnection} StreamLocation stream(s) may be open per connection.");
                }

                try
                {
                    // The items are judged one by one here, as UpdateLocation calls are above. The
                    // dispatcher passes its own argument array, so the stream is swapped in place
                    // (a new HubInvocationContext would lose the dispatcher's method executor).
                    if (invocation.HubMethodArguments is object?[] { Length: > 0 } arguments && arguments[0] is IAsyncEnumerable<LocationUpdate?> items)
                    {
                        arguments[0] = JudgeStream(invocation, connection, items, invocation.Context.ConnectionAborted);
                    }

                    return await next(invocation);
                }
                finally
                {
                    Interlocked.Decrement(ref connection.OpenStreams);
                }

            default:
                return await next(invocation);
        }
    }

    private async ValueTask<object?> UpdateAsync(
        HubInvocationContext invocation, ConnectionLimits connection, LocationUpdate update, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (await JudgeAsync(invocation, connection, update) is { } reason)
        {
            return Rejected(invocation, update, reason);
        }

        return await next(invocation);
    }

    /// <summary>
    /// Stream items pass the same checks as <c>UpdateLocation</c>; a refused one is answered with
    /// <c>locationRejected</c> and never reaches the hub. An item the protocol could not read as a
    /// <c>LocationUpdate</c> ends the stream inside SignalR (the framework completes the stream with
    /// an error); it surfaces here and the caller gets one clear error instead of a server failure.
    /// </summary>
    private async IAsyncEnumerable<LocationUpdate?> JudgeStream(
        HubInvocationContext invocation, ConnectionLimits connection, IAsyncEnumerable<LocationUpdate?> items,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var e = items.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !invocation.Context.ConnectionAborted.IsCancellationRequested)
            {
                LogUnreadableItem(logger, invocation.Context.UserIdentifier ?? "?", ex.Message);
                throw new HubException(UnreadableStreamItem);
            }

            var update = e.Current;
            if (update is not null && await JudgeAsync(invocation, connection, update) is { } reason)
            {
                await invocation.Hub.Clients.Caller.SendAsync(GameEvents.LocationRejected, new LocationRejected { Seq = update.Seq, Reason = reason }, cancellationToken);
                continue;
            }

            yield return update;
        }
    }

    /// <summary>Text of the error that ends a stream whose item could not be read (quoted in docs/protocol.md).</summary>
    public const string UnreadableStreamItem =
        "A StreamLocation item could not be read as a LocationUpdate (wrong field types); the stream has ended. Start a new stream.";

    /// <summary>Null to let the fix through, else the reason it is refused before the player grain.</summary>
    private async ValueTask<string?> JudgeAsync(HubInvocationContext invocation, ConnectionLimits connection, LocationUpdate update)
    {
        var options = limits.Value;
        var now = clock.NowMs;

        // The player grain applies the same bucket (MovementOptions) and stays the authority;
        // answering a clear excess here means a flood costs no grain call. One token of slack
        // because this clock reading comes a moment before the grain's.
        if (!connection.Updates.TryTake(now, movement.Value.MaxUpdatesPerSecond, movement.Value.RateBurst + 1))
        {
            if (connection.CountFlood(now, options.FloodWindow) == options.FloodRejections)
            {
                LogFlooder(logger, invocation.Context.UserIdentifier ?? "?", invocation.Context.ConnectionId, options.FloodRejections);
                invocation.Context.Abort();
            }

            return RejectReasons.RateLimited;
        }

        if (update.Seq > options.MaxSeq)
        {
            return ImplausibleSequence;
        }

        if (update.Seq > connection.LastSeq + options.MaxSeqJump)
        {
            // The known seq may be behind (another connection of the player, or a new connection):
            // ask the player grain once before refusing.
            if (invocation.Context.UserIdentifier is { } player)
            {
                var snapshot = await grains.GetGrain<IPlayerGrain>(player).GetState();
                connection.Observe(snapshot.Last?.Seq ?? 0);
            }

            // A player without an accepted fix may start anywhere below MaxSeq.
            if (connection.LastSeq > 0 && update.Seq > connection.LastSeq + options.MaxSeqJump)
            {
                return ImplausibleSequence;
            }
        }

        // A plausible seq moves the mark even if the grain then refuses the fix: the jump allowed
        // stays relative, and climbing to 2^63 in steps of MaxSeqJump takes ~10^13 fixes.
        connection.Observe(update.Seq);
        return null;
    }

    private static LocationAck Rejected(HubInvocationContext invocation, LocationUpdate update, string reason)
    {
        // Same shape as the hub's own rateLimited answer: the last cell this connection was told.
        var session = invocation.Context.Items.TryGetValue(typeof(ConnectionSession), out var s) ? s as ConnectionSession : null;
        return new LocationAck { Seq = update.Seq, Accepted = false, Reason = reason, CellId = session?.CellId, NearbyVersion = session?.NearbyVersion ?? 0 };
    }

    private static IPAddress? RemoteIp(HubCallerContext context) =>
        context.Features.Get<IHttpConnectionFeature>()?.RemoteIpAddress;

    [LoggerMessage(EventId = 3300, Level = LogLevel.Information, Message = "Connection of player {PlayerId} from {Remote} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string playerId, IPAddress? remote, string reason);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "A StreamLocation item of player {PlayerId} could not be read; the stream ended: {Error}")]
    private static partial void LogUnreadableItem(ILogger logger, string playerId, string error);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "Closing connection {ConnectionId} of player {PlayerId}: {Count} rate-limited fixes within the flood window")]
    private static partial void LogFlooder(ILogger logger, string playerId, string connectionId, int count);

    /// <summary>What the guard keeps per connection.</summary>
    private sealed class ConnectionLimits(IPAddress? ip)
    {
        public int OpenStreams;
        private long _lastSeq;
        private long _floodWindowStart = long.MinValue;
        private int _floodCount;

        public IPAddress? Ip { get; } = ip;

        public TokenBucket Throws { get; } = new();

        public TokenBucket Updates { get; } = new();

        public long LastSeq => Volatile.Read(ref _lastSeq);

        public void Observe(long seq)
        {
            long current;
            while (seq > (current = Volatile.Read(ref _lastSeq)) && Interlocked.CompareExchange(ref _lastSeq, seq, current) != current)
            {
            }
        }

        /// <summary>Counts one rejection in the current fixed window; returns the window's count.</summary>
        public int CountFlood(long nowMs, TimeSpan window)
        {
            lock (this)
            {
                if (_floodWindowStart == long.MinValue || nowMs - _floodWindowStart >= (long)window.TotalMilliseconds)
                {
                    _floodWindowStart = nowMs;
                    _floodCount = 0;
                }

                return ++_floodCount;
            }
        }
    }
}

/// <summary>
/// A token bucket on the game clock (so tests drive it with fake time): starts full with
/// <c>burst</c> tokens and refills at <c>perSecond</c>.
/// </summary>
internal sealed class TokenBucket
{
    private double _tokens = double.NaN;
    private long _atMs;

    public bool TryTake(long nowMs, double perSecond, double burst)
    {
        lock (this)
        {
            if (double.IsNaN(_tokens))
            {
                _tokens = burst;
                _atMs = nowMs;
            }
            else if (nowMs > _atMs)
            {
                _tokens = Math.Min(burst, _tokens + ((nowMs - _atMs) / 1000.0 * perSecond));
                _atMs = nowMs;
            }

            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }
}

/// <summary>
/// Live hub connections per player and per client IP on this node, bounded by
/// <see cref="LimitsOptions.MaxConnectionsPerPlayer"/> and <see cref="LimitsOptions.MaxConnectionsPerIp"/>
/// (one token opened 2,000 idle connections before). Checked at negotiate and again when a
/// connection starts; loopback is exempt from the per-IP cap when <see cref="LimitsOptions.ExemptLoopback"/>.
/// </summary>
public sealed class ConnectionQuotas(IOptions<LimitsOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _players = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IPAddress, int> _ips = new();

    public int ConnectionsOf(string playerId) => _players.TryGetValue(playerId, out var n) ? n : 0;

    /// <summary>Null when a new connection would fit, else why not.</summary>
    public string? Refusal(string? playerId, IPAddress? ip)
    {
        var limits = options.Value;
        if (playerId is not null && ConnectionsOf(playerId) >= limits.MaxConnectionsPerPlayer)
        {
            return $"This player already holds {limits.MaxConnectionsPerPlayer} connections (the most allowed); close one first.";
        }

        if (CountsIp(ip) && _ips.TryGetValue(ip!, out var n) && n >= limits.MaxConnectionsPerIp)
        {
            return $"This address already holds {limits.MaxConnectionsPerIp} connections (the most allowed).";
        }

        return null;
    }

    internal bool TryAdd(string? playerId, IPAddress? ip, out string? refusal)
    {
        var limits = options.Value;
        refusal = null;
        if (playerId is not null && _players.AddOrUpdate(playerId, 1, static (_, n) => n + 1) > limits.MaxConnectionsPerPlayer)
        {
            Decrement(_players, playerId);
            refusal = "too many connections for this player";
            return false;
        }

        if (CountsIp(ip) && _ips.AddOrUpdate(ip!, 1, static (_, n) => n + 1) > limits.MaxConnectionsPerIp)
        {
            Decrement(_ips, ip!);
            if (playerId is not null)
            {
                Decrement(_players, playerId);
            }

            refusal = "too many connections from this address";
            return false;
        }

        return true;
    }

    internal void Remove(string? playerId, IPAddress? ip)
    {
        if (playerId is not null)
        {
            Decrement(_players, playerId);
        }

        if (CountsIp(ip))
        {
            Decrement(_ips, ip!);
        }
    }

    private bool CountsIp(IPAddress? ip) => ip is not null && !(options.Value.ExemptLoopback && IPAddress.IsLoopback(ip));

    private static void Decrement<TKey>(ConcurrentDictionary<TKey, int> counts, TKey key) where TKey : notnull
    {
        while (counts.TryGetValue(key, out var n))
        {
            if (n <= 1 ? counts.TryRemove(new KeyValuePair<TKey, int>(key, n)) : counts.TryUpdate(key, n - 1, n))
            {
                return;
            }
        }
    }
}

/// <summary>Refuses a hub request (negotiate or transport) with 429 when its player or IP holds its maximum of connections.</summary>
internal static class ConnectionQuotaMiddleware
{
    public static IApplicationBuilder UseHubConnectionQuotas(this IApplicationBuilder app, PathString hubPath)
    {
        var quotas = app.ApplicationServices.GetRequiredService<ConnectionQuotas>();
        var tokens = app.ApplicationServices.GetRequiredService<Identity.PlayerTokens>();
        return app.Use(async (context, next) =>
        {
            // Only new connections: a long-polling or SSE request of an existing connection carries its id.
            if (context.Request.Path.StartsWithSegments(hubPath) && !context.Request.Query.ContainsKey("id")
                && quotas.Refusal(tokens.PlayerIdOf(context.User), context.Connection.RemoteIpAddress) is { } refusal)
            {
                context.Response.Headers.RetryAfter = "5";
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many connections", detail: refusal)
                    .ExecuteAsync(context);
                return;
            }

            await next(context);
        });
    }
}
