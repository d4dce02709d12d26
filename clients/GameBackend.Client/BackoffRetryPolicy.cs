using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Client;

/// <summary>
/// Reconnect backoff: a table of delays indexed by the retry count, capped at its last entry,
/// each multiplied by a random factor in [1 - jitter, 1 + jitter] so that many clients cut off by
/// the same server restart do not all come back in the same instant. Never gives up.
/// </summary>
public sealed class BackoffRetryPolicy : IRetryPolicy
{
    /// <summary>The default delays: 0, 1, 2, 5, 10, 20 and then 30 seconds for every further retry.</summary>
    public static IReadOnlyList<TimeSpan> DefaultDelays { get; } =
        [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5),
         TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30)];

    /// <summary>The default jitter: ±20 %.</summary>
    public const double DefaultJitter = 0.2;

    private readonly TimeSpan[] _delays;
    private readonly double _jitter;
    private readonly Random _random;
    private readonly Lock _randomLock = new();

    /// <summary>Creates a policy.</summary>
    /// <param name="delays">Delay before retry n (0-based); retries past the end use the last entry. Defaults to <see cref="DefaultDelays"/>.</param>
    /// <param name="jitter">Relative jitter in [0, 1); 0.2 means ±20 %.</param>
    /// <param name="random">Source of jitter; pass a seeded instance for reproducible delays. Defaults to <see cref="Random.Shared"/>.</param>
    public BackoffRetryPolicy(IReadOnlyList<TimeSpan>? delays = null, double jitter = DefaultJitter, Random? random = null)
    {
        _delays = [.. delays ?? DefaultDelays];
        if (_delays.Length == 0)
        {
            throw new ArgumentException("At least one reconnect delay is required.", nameof(delays));
        }

        if (_delays.Any(d => d < TimeSpan.Zero))
        {
            throw new ArgumentException("Reconnect delays must not be negative.", nameof(delays));
        }

        if (!(jitter >= 0 && jitter < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(jitter), jitter, "Jitter must be in [0, 1).");
        }

        _jitter = jitter;
        _random = random ?? Random.Shared;
    }

    /// <summary>The delay before the retry that follows <paramref name="previousRetryCount"/> failed retries.</summary>
    /// <param name="previousRetryCount">How many retries have already failed (0 for the first retry).</param>
    public TimeSpan NextDelay(long previousRetryCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(previousRetryCount);
        var baseDelay = _delays[(int)Math.Min(previousRetryCount, _delays.Length - 1)];
        if (_jitter == 0 || baseDelay == TimeSpan.Zero)
        {
            return baseDelay;
        }

        double sample;
        lock (_randomLock)
        {
            sample = _random.NextDouble();
        }

        return baseDelay * (1 + (_jitter * ((2 * sample) - 1)));
    }

    /// <inheritdoc />
    public TimeSpan? NextRetryDelay(RetryContext retryContext)
    {
        ArgumentNullException.ThrowIfNull(retryContext);
        return NextDelay(retryContext.PreviousRetryCount);
    }
}
