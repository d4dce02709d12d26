using GameBackend.Domain.Geo;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace GameBackend.Domain.Spawning;

/// <summary>
/// Draws spawn points uniformly over a zone's area on the sphere, never inside an exclusion
/// geometry. Geometries are prepared once, so one sampler per zone (owned by the zone's grain)
/// serves every spawn; randomness comes from the caller's <see cref="Random"/>.
/// </summary>
public sealed class ZoneSampler
{
    private readonly ZoneShape _shape;
    private readonly IPreparedGeometry[] _exclusions;
    private readonly IPreparedGeometry? _polygon;
    private readonly Envelope? _envelope;
    private readonly double _sinSouth;
    private readonly double _sinNorth;

    public ZoneSampler(ZoneShape shape, IReadOnlyList<Geometry>? exclusions = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        _shape = shape;
        _exclusions = (exclusions ?? []).Where(e => !e.IsEmpty).Select(PreparedGeometryFactory.Prepare).ToArray();
        switch (shape)
        {
            case CircleShape:
                break;
            case PolygonShape p:
                _polygon = PreparedGeometryFactory.Prepare(p.Geometry);
                _envelope = p.Geometry.EnvelopeInternal;
                _sinSouth = Math.Sin(GeoMath.ToRadians(_envelope.MinY));
                _sinNorth = Math.Sin(GeoMath.ToRadians(_envelope.MaxY));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(shape));
        }
    }

    /// <summary>A point, or null when <paramref name="maxAttempts"/> candidates all fell outside the zone or inside an exclusion.</summary>
    public GeoPoint? Next(Random random, int maxAttempts = SpawnZoneRules.DefaultMaxAttempts)
    {
        ArgumentNullException.ThrowIfNull(random);
        for (var attempt = 0; attempt < maxAttempts; attempt++)
        {
            var candidate = _shape is CircleShape circle ? PointInCircle(circle, random) : PointInPolygon(random);
            if (candidate is { } point && !IsExcluded(point))
            {
                return point;
            }
        }

        return null;
    }

    private static GeoPoint PointInCircle(CircleShape circle, Random random)
    {
        // Uniform over the spherical cap: the area within angle θ grows as sin²(θ/2), so draw
        // sin(θ/2) = sqrt(u)·sin(δ/2) (for small caps, the familiar radius = R·sqrt(u)).
        var delta = circle.RadiusMeters / GeoMath.EarthRadiusMeters;
        var theta = 2 * Math.Asin(Math.Sqrt(random.NextDouble()) * Math.Sin(delta / 2));
        return GeoMath.Destination(circle.Center, random.NextDouble() * 360.0, theta * GeoMath.EarthRadiusMeters);
    }

    private GeoPoint? PointInPolygon(Random random)
    {
        // Rejection sampling over the envelope, uniform in (longitude, sin latitude): equal areas on
        // the sphere get equal chances, so accepted points are uniform over the polygon's true area.
        var lat = GeoMath.ToDegrees(Math.Asin(_sinSouth + (random.NextDouble() * (_sinNorth - _sinSouth))));
        var lon = _envelope!.MinX + (random.NextDouble() * _envelope.Width);
        return _polygon!.Contains(ZoneGeometry.Factory.CreatePoint(new Coordinate(lon, lat))) ? new GeoPoint(lat, lon) : null;
    }

    private bool IsExcluded(GeoPoint point)
    {
        if (_exclusions.Length == 0)
        {
            return false;
        }

        var p = ZoneGeometry.Factory.CreatePoint(new Coordinate(point.Longitude, point.Latitude));
        foreach (var exclusion in _exclusions)
        {
            if (exclusion.Covers(p))
            {
                return true;
            }
        }

        return false;
    }
}
