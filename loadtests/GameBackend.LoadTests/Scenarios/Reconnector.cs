using System.Net;
using System.Net.WebSockets;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>
/// The SDK's reconnect schedule (clients/GameBackend.Client/BackoffRetryPolicy.cs), reimplemented so the
/// runner does not pull in HubConnection: a table of delays indexed by the retry count, capped at its last
/// entry, each times a random factor in [1 - jitter, 1 + jitter] so players cut off together do not all
/// come back in the same instant. Never gives up.
/// </summary>
public sealed class Backoff(IReadOnlyList<TimeSpan>? delays = null, double jitter = Backoff.DefaultJitter)
{
    /// <summary>The SDK's delays: 0, 1, 2, 5, 10, 20 and then 30 seconds.</summary>
    public static IReadOnlyList<TimeSpan> DefaultDelays { get; } =
        [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5),
         TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30)];

    /// <summary>±20 %, as the SDK.</summary>
    public const double DefaultJitter = 0.2;

    private readonly TimeSpan[] _delays = delays is { Count: > 0 } d ? [.. d] : [.. DefaultDelays];

    /// <summary>The delay before the retry that follows <paramref name="previousRetries"/> failed retries.</summary>
    public TimeSpan NextDelay(long previousRetries, Random random)
    {
        var baseDelay = _delays[(int)Math.Min(Math.Max(previousRetries, 0), _delays.Length - 1)];
        return jitter == 0 || baseDelay == TimeSpan.Zero ? baseDelay : baseDelay * (1 + jitter * (2 * random.NextDouble() - 1));
    }
}

/// <summary>Counts of connection losses and reconnects for the report.</summary>
public sealed class ReconnectStats
{
    internal long Losses;
    internal long Reconnects;
    internal long FailedAttempts;
    internal long Relogins;

    /// <summary>Connections lost (closed by the server or dropped).</summary>
    public long LossCount => Volatile.Read(ref Losses);

    /// <summary>Successful reconnects.</summary>
    public long ReconnectCount => Volatile.Read(ref Reconnects);

    /// <summary>Writes the counts into a scenario's report metrics.</summary>
    public void Report(ScenarioInitContext init)
    {
        if (LossCount > 0)
        {
            init.Metrics["connection losses"] =
                $"{LossCount}, reconnected {ReconnectCount}, failed attempts {Volatile.Read(ref FailedAttempts)}, re-logins {Volatile.Read(ref Relogins)}";
        }
    }
}

/// <summary>
/// Watches a player's connection and, when it closes (server gone, network drop), reconnects with
/// <see cref="Backoff"/>: first to the same server, then round the other targets; logs in again when the
/// server refuses the token (401). Updates sent meanwhile fail fast as <see cref="OutageStatus"/>, and the
/// first accepted fix afterwards records the outage length as the <see cref="RecoveryStep"/> step.
/// </summary>
public static class Reconnector
{
    /// <summary>Step: time from a connection loss to the first accepted fix afterwards.</summary>
    public const string RecoveryStep = "recovery";

    /// <summary>Status of updates that could not be sent (or were lost) because the connection was down.</summary>
    public const string OutageStatus = "client.disconnected";

    /// <summary>Starts watching <paramref name="player"/> (no-op when reconnecting is off).</summary>
    public static void Watch(Player player, LoadTestOptions options, ScenarioInitContext init, ReconnectStats stats, Backoff? backoff = null)
    {
        if (options.Reconnect)
        {
            _ = WatchAsync(player, options, init, stats, backoff ?? new Backoff(options.ReconnectDelays));
        }
    }

    private static async Task WatchAsync(Player player, LoadTestOptions options, ScenarioInitContext init, ReconnectStats stats, Backoff backoff)
    {
        var clock = init.TimeProvider;
        var token = init.CancellationToken;
        var targets = options.Targets.Count == 0 ? [options.Target] : options.Targets;
        while (!player.Disposed && !token.IsCancellationRequested)
        {
            var lost = player.Connection;
            await lost.Closed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (player.Disposed || token.IsCancellationRequested)
            {
                return;
            }

            // Reconnecting before LostAt: Player.Accepted reads them the other way round, so a late ack of the
            // lost connection that sees the new LostAt also sees Reconnecting and does not count as a recovery.
            Volatile.Write(ref player._reconnecting, 1);
            Interlocked.CompareExchange(ref player.LostAt, clock.GetTimestamp(), 0);
            Interlocked.Increment(ref stats.Losses);
            await lost.DisposeAsync();
            var random = new Random(Seeds.Combine(init.Seed, player.Index));
            for (var attempt = 0; !player.Disposed; attempt++)
            {
                try
                {
                    await Task.Delay(backoff.NextDelay(attempt, random), clock, token);

                    // The first retry goes back to the same server (a blip); later ones walk round the others.
                    var targetIndex = (player.TargetIndex + (attempt == 0 ? 0 : 1)) % targets.Count;
                    var target = targets[targetIndex];
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                    timeout.CancelAfter(TimeSpan.FromSeconds(30));
                    RawHubConnection connection;
                    try
                    {
                        connection = await RawHubConnection.ConnectAsync(GameApi.HubUrl(target), player.Token, options.Protocol, timeout.Token, options.SkipNegotiation);
                    }
                    catch (Exception ex) when (IsUnauthorized(ex))
                    {
                        var login = await GameApi.LoginAsync(target, player.DeviceId, player.DisplayName, timeout.Token);
                        player.Token = login.Token;
                        Interlocked.Increment(ref stats.Relogins);
                        connection = await RawHubConnection.ConnectAsync(GameApi.HubUrl(target), player.Token, options.Protocol, timeout.Token, options.SkipNegotiation);
                    }

                    if (player.Disposed)
                    {
                        await connection.DisposeAsync();
                        return;
                    }

                    player.TargetIndex = targetIndex;
                    player.Connection = connection;
                    player.Configure?.Invoke(player);
                    Volatile.Write(ref player._reconnecting, 0);
                    Interlocked.Increment(ref stats.Reconnects);
                    break;
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                    // Whatever went wrong (refused, reset, timed out, a 5xx), the schedule decides when to try again:
                    // a watcher that gave up would leave the player failing as client.disconnected for good.
                    Interlocked.Increment(ref stats.FailedAttempts);
                }
            }
        }
    }

    /// <summary>True when the server refused the bearer token (negotiate or WebSocket upgrade answered 401).</summary>
    public static bool IsUnauthorized(Exception ex) => ex switch
    {
        HttpRequestException { StatusCode: HttpStatusCode.Unauthorized } => true,
        WebSocketException w => w.Message.Contains("401", StringComparison.Ordinal),
        _ => false,
    };
}
