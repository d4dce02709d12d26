namespace GameBackend.Domain.Movement;

/// <summary>Tunables of <see cref="MovementValidator"/> (bound from configuration by the server).</summary>
public sealed record MovementRules
{
    /// <summary>Fastest plausible ground speed between two accepted fixes, m/s (default 50 m/s = 180 km/h).</summary>
    public double MaxSpeedMetersPerSecond { get; init; } = 50;

    /// <summary>Distance always allowed between fixes regardless of time, covering GPS jitter, metres.</summary>
    public double JitterAllowanceMeters { get; init; } = 25;

    /// <summary>
    /// Shortest time the speed check divides by, seconds. Phones on a bad network deliver buffered
    /// fixes in bursts; the floor keeps a burst of honest fixes from reading as a teleport.
    /// </summary>
    public double MinIntervalSeconds { get; init; } = 1;

    /// <summary>How far ahead of the server clock a device timestamp may be (default 30 s).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>One strike is forgiven for every full period of this length without a new strike (default 10 min).</summary>
    public TimeSpan StrikeDecay { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Updates per second a player may send (token bucket; default 10).</summary>
    public double MaxUpdatesPerSecond { get; init; } = 10;

    /// <summary>Bucket size: how many updates may arrive back to back (default = one second's worth).</summary>
    public double RateBurst { get; init; } = 10;

    /// <summary>
    /// How far back the speed check looks (default 30 s). A new fix must be reachable at
    /// <see cref="MaxSpeedMetersPerSecond"/> from every fix the window keeps, not only from the last
    /// one: with only the last one, each short step got its own <see cref="MinIntervalSeconds"/>
    /// floor and jitter allowance, so a fast enough cadence added them up to any speed.
    /// </summary>
    public TimeSpan PlausibilityWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Cap on the reported GPS accuracies (radius, metres) added to the allowance of one pair of
    /// fixes (default 100 m). The accuracy is the device's word, so an unbounded one would let a
    /// spoofer buy any distance by reporting a poor fix.
    /// </summary>
    public double MaxAccuracyAllowanceMeters { get; init; } = 100;

    /// <summary>
    /// Strikes at which the player is banned from capturing for <see cref="BanDuration"/> (default 10;
    /// 0 = never). Unlike strikes, which decay, a ban lasts its full duration.
    /// </summary>
    public int BanStrikes { get; init; } = 10;

    /// <summary>How long a ban lasts (default 24 h).</summary>
    public TimeSpan BanDuration { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a trusted position restored from storage (after the grain was deactivated or its
    /// node died) still anchors the speed check (default 6 h). Older, it is forgotten and the next
    /// fix starts afresh, as a real flight would need anyway at the default speed limit.
    /// </summary>
    public TimeSpan TrustedPositionLifetime { get; init; } = TimeSpan.FromHours(6);
}
