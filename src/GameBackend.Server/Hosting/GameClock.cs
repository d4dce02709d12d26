namespace GameBackend.Server.Hosting;

/// <summary>
/// The clock every game rule reads (fix receive times, strikes, expiry, spawning, schedules).
/// A wrapper rather than the container's <see cref="TimeProvider"/> because Orleans resolves
/// that one for its own membership and timeouts: tests swap game time for a
/// <c>FakeTimeProvider</c> without freezing the cluster.
/// </summary>
public sealed class GameClock(TimeProvider provider)
{
    public TimeProvider Provider { get; } = provider;

    public DateTimeOffset UtcNow => Provider.GetUtcNow();

    public long NowMs => Provider.GetUtcNow().ToUnixTimeMilliseconds();
}
