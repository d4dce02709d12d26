using System.Collections.Concurrent;
using GameBackend.Contracts;

namespace GameBackend.Cluster.Tests.Infrastructure;

/// <summary>What a capture attempt returned, for cross-checking winners against PostgreSQL.</summary>
public readonly record struct ThrowResult(string PlayerId, string CreatureId, string Outcome, string? WinnerPlayerId);

/// <summary>
/// Drives one player like a phone: a fix every ~200 ms around a spot, now and then a throw at the
/// nearest creature; follows <c>serverShutdown</c> by reconnecting at once and rides out dropped
/// connections with the client's automatic reconnect. Failed calls are sorted, never thrown.
/// </summary>
public sealed class Walker(ClusterPlayer player, double latitude, double longitude)
{
    private int _handledShutdowns;
    private int _step;

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
        // A few metres around the spot: always plausible, always a new fix.
        var angle = step * 0.7;
        var ack = await player.UpdateAsync(latitude + (2e-5 * Math.Sin(angle)), longitude + (2e-5 * Math.Cos(angle)));
        if (!ack.Accepted)
        {
            Rejections.Enqueue(ack.Reason ?? "?");
            return;
        }

        if (step % 5 == 0 && ack.Nearby.FirstOrDefault(n => n.DistanceMeters < 40) is { } target)
        {
            var result = await player.TryCaptureAsync(target.CreatureId, $"{player.PlayerId}-{step}");
            Throws.Enqueue(new ThrowResult(player.PlayerId, target.CreatureId, result.Outcome, result.WinnerPlayerId));
        }
    }
}
