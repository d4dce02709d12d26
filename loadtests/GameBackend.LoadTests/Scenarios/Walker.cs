using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>
/// A pedestrian walking city blocks: ~1.4 m/s with jitter, turning at "corners", course following the
/// movement, the phone held roughly in the walking direction, gravity on the accelerometer's z axis
/// plus step bounce. Deterministic for a given seed and sequence of timestamps.
/// </summary>
public sealed class Walker
{
    private const double Gravity = 9.80665;
    private readonly Random _random;
    private readonly (double Latitude, double Longitude) _centre;
    private readonly double _radius;
    private double _latitude;
    private double _longitude;
    private double _course;
    private double _speed;
    private double _untilCorner;
    private long _lastMillis = -1;
    private long _seq;

    /// <summary>
    /// Starts at a random point within <paramref name="radius"/> metres of <paramref name="centre"/>. Sequence
    /// numbers continue from <paramref name="seqBase"/>: the same seed reuses the same players, and the server
    /// rejects a seq at or below the last accepted one, so runs must not restart at 1.
    /// </summary>
    public Walker(int seed, (double Latitude, double Longitude) centre, double radius = 1500, long seqBase = 0)
    {
        _random = new Random(seed);
        _seq = seqBase;
        _centre = centre;
        _radius = radius;
        (_latitude, _longitude) = Geo.Move(centre.Latitude, centre.Longitude, _random.NextDouble() * 360, Math.Sqrt(_random.NextDouble()) * radius);
        _course = Math.Floor(_random.NextDouble() * 4) * 90 + 9; // a street grid tilted a little off north
        _speed = 1.4;
        _untilCorner = 50 + _random.NextDouble() * 100;
    }

    /// <summary>Current position.</summary>
    public (double Latitude, double Longitude) Position => (_latitude, _longitude);

    /// <summary>Advances to device time <paramref name="unixMillis"/> and returns the fix the phone would report.</summary>
    public LocationFix Next(long unixMillis)
    {
        var dt = _lastMillis < 0 ? 0 : Math.Clamp((unixMillis - _lastMillis) / 1000.0, 0, 10);
        _lastMillis = unixMillis;

        // Speed wanders around 1.4 m/s (0.9 – 1.9), like a person dodging others on a pavement.
        _speed = Math.Clamp(_speed + (_random.NextDouble() - 0.5) * 0.2 + (1.4 - _speed) * 0.1, 0.9, 1.9);
        var distance = _speed * dt;
        _untilCorner -= distance;
        if (_untilCorner <= 0)
        {
            // At a corner: go straight, left or right; head back towards the centre when too far out.
            var home = Geo.Distance(_latitude, _longitude, _centre.Latitude, _centre.Longitude) > _radius;
            _course = home
                ? Geo.Normalize(Math.Round((Geo.Bearing(_latitude, _longitude, _centre.Latitude, _centre.Longitude) - 9) / 90) * 90 + 9)
                : Geo.Normalize(_course + (_random.Next(3) - 1) * 90);
            _untilCorner = 50 + _random.NextDouble() * 100;
        }

        var wobble = (_random.NextDouble() - 0.5) * 6; // pavements are not straight lines
        var course = Geo.Normalize(_course + wobble);
        (_latitude, _longitude) = Geo.Move(_latitude, _longitude, course, distance);

        var heading = Geo.Normalize(course + (_random.NextDouble() - 0.5) * 30);
        var bounce = Math.Sin(unixMillis / 1000.0 * 2 * Math.PI * 1.8) * 0.8; // ~1.8 steps per second
        return new LocationFix(
            Seq: ++_seq,
            Timestamp: unixMillis,
            Latitude: _latitude,
            Longitude: _longitude,
            Accuracy: 3 + _random.NextDouble() * 7,
            Heading: heading,
            Speed: Math.Round(_speed + (_random.NextDouble() - 0.5) * 0.1, 2),
            Course: course,
            AccelX: (_random.NextDouble() - 0.5) * 0.4,
            AccelY: (_random.NextDouble() - 0.5) * 0.4 + bounce * 0.3,
            AccelZ: Gravity + bounce + (_random.NextDouble() - 0.5) * 0.2);
    }
}
