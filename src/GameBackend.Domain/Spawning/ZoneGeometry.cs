using GameBackend.Domain.Geo;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Valid;

namespace GameBackend.Domain.Spawning;

/// <summary>The outcome of <see cref="ZoneGeometry.Clip"/>: the area left, and whether anything was cut away.</summary>
public readonly record struct ClipResult(Geometry Geometry, bool WasClipped);

/// <summary>
/// Zone geometry in lon/lat degrees (x = longitude, y = latitude). NTS works in the plane, which is
/// fine for topology (validity, containment, difference) of zones a few kilometres across; areas
/// and sampling below are done on the sphere.
/// </summary>
public static class ZoneGeometry
{
    /// <summary>Default upper bound for <see cref="Validate(Geometry, double)"/>: 100 km², a large city district.</summary>
    public const double DefaultMaxAreaSquareKm = 100;

    public static GeometryFactory Factory { get; } = new(new PrecisionModel(), 4326);

    /// <summary>An n-gon inscribed in the circle on the sphere (vertices at exactly the radius).</summary>
    public static Polygon CircleToPolygon(GeoPoint center, double radiusMeters, int segments = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segments, 3);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(radiusMeters);
        var ring = new Coordinate[segments + 1];
        for (var i = 0; i < segments; i++)
        {
            var p = GeoMath.Destination(center, 360.0 * i / segments, radiusMeters);
            ring[i] = new Coordinate(p.Longitude, p.Latitude);
        }

        // Clockwise bearings give a clockwise ring; NTS prefers shells counter-clockwise.
        ring[segments] = ring[0].Copy();
        Array.Reverse(ring);
        return Factory.CreatePolygon(ring);
    }

    /// <summary>The zone's area as a polygon (a circle becomes a 64-gon).</summary>
    public static Geometry ToGeometry(ZoneShape shape) => shape switch
    {
        CircleShape c => CircleToPolygon(c.Center, c.RadiusMeters),
        PolygonShape p => p.Geometry,
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    /// <summary>
    /// Why a ring given as raw lon/lat corners cannot be a zone, or null when it can. Catches what
    /// NTS refuses to even construct (too few points, not closed) before the checks of
    /// <see cref="Validate(Geometry, double)"/>.
    /// </summary>
    public static string? Validate(IReadOnlyList<Coordinate> ring, double maxAreaSquareKm = DefaultMaxAreaSquareKm)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (ring.Count < 4)
        {
            return $"A polygon ring needs at least 4 points (3 corners and the closing point); it has {ring.Count}.";
        }

        if (!ring[0].Equals2D(ring[^1]))
        {
            return "The polygon ring is not closed: its last point must repeat its first.";
        }

        var bad = CheckCoordinates(ring);
        return bad ?? Validate(Factory.CreatePolygon([.. ring]), maxAreaSquareKm);
    }

    /// <summary>Why the geometry cannot be a zone, or null when it can.</summary>
    public static string? Validate(Geometry? geometry, double maxAreaSquareKm = DefaultMaxAreaSquareKm)
    {
        if (geometry is null || geometry.IsEmpty)
        {
            return "The zone geometry is empty.";
        }

        if (geometry is not (Polygon or MultiPolygon))
        {
            return $"A zone must be a Polygon or MultiPolygon, not a {geometry.GeometryType}.";
        }

        foreach (var polygon in Polygons(geometry))
        {
            foreach (var ring in new[] { polygon.Shell }.Concat(polygon.Holes))
            {
                if (ring.NumPoints < 4)
                {
                    return $"A polygon ring needs at least 4 points (3 corners and the closing point); it has {ring.NumPoints}.";
                }

                if (!ring.IsClosed)
                {
                    return "The polygon ring is not closed: its last point must repeat its first.";
                }
            }
        }

        var bad = CheckCoordinates(geometry.Coordinates);
        if (bad is not null)
        {
            return bad;
        }

        var op = new IsValidOp(geometry);
        if (!op.IsValid)
        {
            var error = op.ValidationError;
            return error.Coordinate is { } at
                ? FormattableString.Invariant($"{error.Message} at ({at.Y}, {at.X}).")
                : $"{error.Message}.";
        }

        if (geometry.EnvelopeInternal.Width > 180)
        {
            return "The zone spans more than 180° of longitude; zones must not cross the antimeridian.";
        }

        var km2 = AreaSquareMeters(geometry) / 1e6;
        if (km2 > maxAreaSquareKm)
        {
            return FormattableString.Invariant($"The zone covers {km2:F1} km², more than the {maxAreaSquareKm} km² allowed.");
        }

        return null;
    }

    /// <summary>
    /// Area on the sphere, m². Exact for edges drawn straight in (longitude, sin latitude), which
    /// differs from lon/lat-straight edges by far less than a percent over zone-sized polygons.
    /// </summary>
    public static double AreaSquareMeters(Geometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        var projected = geometry.Copy();
        projected.Apply(new EqualAreaFilter());
        return projected.Area * GeoMath.EarthRadiusMeters * GeoMath.EarthRadiusMeters;
    }

    /// <summary>
    /// The zone minus every exclusion geometry. <see cref="ClipResult.WasClipped"/> is true when an
    /// exclusion overlaps the zone's interior (touching its edge does not count).
    /// </summary>
    public static ClipResult Clip(Geometry zone, IEnumerable<Geometry> exclusions)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(exclusions);
        var overlapping = exclusions.Where(e => !e.IsEmpty && e.Relate(zone, "T********")).ToList();
        if (overlapping.Count == 0)
        {
            return new ClipResult(zone, false);
        }

        var result = zone;
        foreach (var exclusion in overlapping)
        {
            result = result.Difference(exclusion);
        }

        return new ClipResult(result, true);
    }

    internal static IEnumerable<Polygon> Polygons(Geometry geometry)
    {
        for (var i = 0; i < geometry.NumGeometries; i++)
        {
            if (geometry.GetGeometryN(i) is Polygon p)
            {
                yield return p;
            }
        }
    }

    private static string? CheckCoordinates(IEnumerable<Coordinate> coordinates)
    {
        foreach (var c in coordinates)
        {
            if (!double.IsFinite(c.X) || !double.IsFinite(c.Y) || c.Y is < -90 or > 90 || c.X is < -180 or > 180)
            {
                return FormattableString.Invariant($"Point (lon {c.X}, lat {c.Y}) is not a valid longitude/latitude.");
            }
        }

        return null;
    }

    private sealed class EqualAreaFilter : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++)
            {
                seq.SetX(i, GeoMath.ToRadians(seq.GetX(i)));
                seq.SetY(i, Math.Sin(GeoMath.ToRadians(seq.GetY(i))));
            }
        }
    }
}
