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
}
