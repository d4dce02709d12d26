using System.Collections.Concurrent;
using GameBackend.Contracts;

namespace GameBackend.Cluster.Tests.Infrastructure;

/// <summary>What a capture attempt returned, for cross-checking winners against PostgreSQL.</summary>
public readonly record struct ThrowResult(string PlayerId, string CreatureId, string Outcome, string? WinnerPlayerId);

/// <summary>
/// Drives one player like a phone: a fix every ~200 ms. A chaser runs (within the speed limit, ~40 m/s) to
/// the nearest creature and throws at it when in range, so chasers on different nodes race for the
/// same creatures; an observer stands still at its spot. Follows <c>serverShutdown</c> by
/// reconnecting at once and rides out dropped connections with the client's automatic reconnect.
/// Failed calls are sorted, never thrown.
/// </summary>
public sealed class Walker(ClusterPlayer player, double latitude, double longitude, bool chase)
{
    private const double MetersPerDegree = 111_320;
    private int _handledShutdowns;
    private int _step;
    // The last list an ack carried: acks repeat it only when it changes (a reconnect sends it afresh).
    private IReadOnlyList<NearbyCreature> _nearby = [];

    public ClusterPlayer Player => player;

    public ConcurrentQueue<ThrowResult> Throws { get; } = new();

    /// <summary>Server errors with the time they happened.</summary>
    public ConcurrentQueue<(DateTimeOffset At, string Error)> ServerErrors { get; } = new();

    public ConcurrentQueue<(DateTimeOffset At, string Error)> TransportErrors { get; } = new();

    public ConcurrentQueue<string> Rejections { get; } = new();

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await StepAsync();
            }
            catch (Exception ex) when (CallFailures.IsServerError(ex))
            {
                ServerErrors.Enqueue((DateTimeOffset.UtcNow, ex.Message));
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                TransportErrors.Enqueue((DateTimeOffset.UtcNow, ex.GetType().Name + ": " + ex.Message));
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(200, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task StepAsync()
    {
        var notices = player.ShutdownNotices;
        if (notices != _handledShutdowns)
        {
            _handledShutdowns = notices;
            await player.ReconnectNowAsync();
        }

        await player.EnsureConnectedAsync();
        var step = Interlocked.Increment(ref _step);
        // A metre or so of jitter: always plausible, always a new fix.
        var ack = await player.UpdateAsync(latitude + (1e-5 * Math.Sin(step)), longitude + (1e-5 * Math.Cos(step)));
        if (!ack.Accepted)
        {
            Rejections.Enqueue(ack.Reason ?? "?");
            return;
        }

        _nearby = ack.Nearby ?? _nearby;
        if (!chase || _nearby.Count == 0)
        {
            return;
        }

        var target = _nearby[0];
        if (target.DistanceMeters <= 40)
        {
            var result = await player.TryCaptureAsync(target.CreatureId, $"{player.PlayerId}-{step}");
            Throws.Enqueue(new ThrowResult(player.PlayerId, target.CreatureId, result.Outcome, result.WinnerPlayerId));
            return;
        }

        // At most 8 m per fix, a fix at most every ~200 ms: under 50 m/s however the fixes are spaced.
        // (60 m per fix was accepted by the old per-fix rule, 300 m/s: the cadence teleport of issue 13.)
        var run = Math.Min(8, target.DistanceMeters - 10);
        var bearing = target.BearingDegrees * Math.PI / 180;
        latitude += run * Math.Cos(bearing) / MetersPerDegree;
        longitude += run * Math.Sin(bearing) / (MetersPerDegree * Math.Cos(latitude * Math.PI / 180));
    }
}
