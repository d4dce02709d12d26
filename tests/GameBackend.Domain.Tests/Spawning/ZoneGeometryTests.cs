using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;
using NetTopologySuite.Geometries;

namespace GameBackend.Domain.Tests.Spawning;

public sealed class ZoneGeometryTests
{
    private static readonly GeometryFactory F = ZoneGeometry.Factory;

    private static Polygon Rect(double west, double south, double east, double north) =>
        F.CreatePolygon([new(west, south), new(east, south), new(east, north), new(west, north), new(west, south)]);

    [Fact]
    public void A_simple_square_is_valid()
    {
        Assert.Null(ZoneGeometry.Validate(Rect(13.40, 52.50, 13.42, 52.52)));
        Assert.Null(ZoneGeometry.Validate([new(13.40, 52.50), new(13.42, 52.50), new(13.41, 52.52), new(13.40, 52.50)]));
    }

    [Fact]
    public void A_bow_tie_is_rejected_as_self_intersecting()
    {
        var bowTie = F.CreatePolygon([new(0, 0), new(0.01, 0.01), new(0.01, 0), new(0, 0.01), new(0, 0)]);
        var reason = ZoneGeometry.Validate(bowTie);
        Assert.NotNull(reason);
        Assert.Contains("Self-intersection", reason);
        Assert.Contains("(0.005, 0.005)", reason);
    }

    [Fact]
    public void Raw_rings_with_too_few_points_or_left_open_are_rejected()
    {
        Assert.Contains("at least 4 points", ZoneGeometry.Validate([new(0, 0), new(0.01, 0), new(0, 0)]));
        Assert.Contains("at least 4 points", ZoneGeometry.Validate(Array.Empty<Coordinate>()));
        Assert.Contains("not closed", ZoneGeometry.Validate([new(0, 0), new(0.01, 0), new(0.01, 0.01), new(0, 0.01)]));
    }

    [Fact]
    public void Degenerate_and_odd_geometries_are_rejected_with_a_reason()
    {
        Assert.Contains("empty", ZoneGeometry.Validate(F.CreatePolygon()));
        Assert.Contains("empty", ZoneGeometry.Validate((Geometry?)null));
        Assert.Contains("Polygon or MultiPolygon", ZoneGeometry.Validate(F.CreateLineString([new(0, 0), new(1, 1)])));
        Assert.Contains("Polygon or MultiPolygon", ZoneGeometry.Validate(F.CreatePoint(new Coordinate(0, 0))));

        // A flat "triangle": collinear corners have no area.
        Assert.NotNull(ZoneGeometry.Validate(F.CreatePolygon([new(0, 0), new(0.01, 0), new(0.02, 0), new(0, 0)])));

        // A hole outside its shell.
        var shell = F.CreateLinearRing([new(0, 0), new(0.01, 0), new(0.01, 0.01), new(0, 0.01), new(0, 0)]);
        var hole = F.CreateLinearRing([new(0.02, 0.02), new(0.03, 0.02), new(0.03, 0.03), new(0.02, 0.02)]);
        Assert.Contains("Hole lies outside shell", ZoneGeometry.Validate(F.CreatePolygon(shell, [hole])));

        // Overlapping parts of a multipolygon.
        var overlapping = F.CreateMultiPolygon([Rect(0, 0, 0.02, 0.02), Rect(0.01, 0.01, 0.03, 0.03)]);
        Assert.NotNull(ZoneGeometry.Validate(overlapping));
    }

    [Fact]
    public void Coordinates_must_be_longitude_then_latitude_in_range()
    {
        Assert.Contains("not a valid longitude/latitude", ZoneGeometry.Validate(Rect(13.4, 95, 13.5, 96)));
        Assert.Contains("not a valid longitude/latitude", ZoneGeometry.Validate([new(0, 0), new(double.NaN, 0), new(0, 1), new(0, 0)]));
    }

    [Fact]
    public void Unreasonably_large_zones_are_rejected()
    {
        Assert.Contains("km²", ZoneGeometry.Validate(Rect(13, 52, 14, 53))); // ~7,500 km²
        Assert.Null(ZoneGeometry.Validate(Rect(13, 52, 14, 53), maxAreaSquareKm: 10_000));
        Assert.Contains("antimeridian", ZoneGeometry.Validate(Rect(-179.9, 0, 179.9, 0.001), maxAreaSquareKm: 1e9));
    }

    [Fact]
    public void Areas_are_measured_on_the_sphere()
    {
        // 0.01° × 0.01° at 52.5°N: (0.01 × 111,195 m)² × cos 52.5°.
        var expected = Math.Pow(0.01 * GeoMath.MetersPerDegree, 2) * Math.Cos(GeoMath.ToRadians(52.51));
        Assert.InRange(ZoneGeometry.AreaSquareMeters(Rect(13.40, 52.50, 13.41, 52.51)) / expected, 0.999, 1.001);
    }

    [Theory]
    [InlineData(52.52, 13.40, 250, 64)]
    [InlineData(-70.0, 0.0, 5_000, 16)]
    [InlineData(10.0, 120.0, 30, 6)]
    public void A_circle_becomes_a_valid_inscribed_polygon(double lat, double lon, double radius, int segments)
    {
        var center = new GeoPoint(lat, lon);
        var polygon = ZoneGeometry.CircleToPolygon(center, radius, segments);
        Assert.Equal(segments + 1, polygon.NumPoints);
        Assert.Null(ZoneGeometry.Validate(polygon));
        Assert.True(polygon.Shell.IsCCW);
        foreach (var c in polygon.Shell.Coordinates)
        {
            Assert.Equal(radius, GeoMath.DistanceMeters(center, new GeoPoint(c.Y, c.X)), 6);
        }

        var inscribed = segments / 2.0 * radius * radius * Math.Sin(2 * Math.PI / segments);
        Assert.InRange(ZoneGeometry.AreaSquareMeters(polygon) / inscribed, 0.99, 1.01);
        Assert.True(polygon.Contains(F.CreatePoint(new Coordinate(lon, lat))));
    }

    [Fact]
    public void Clipping_detects_overlap_and_removes_it()
    {
        var zone = Rect(0, 0, 0.02, 0.02);
        var result = ZoneGeometry.Clip(zone, [Rect(0.01, -1, 1, 1)]);
        Assert.True(result.WasClipped);
        Assert.Equal(zone.Area / 2, result.Geometry.Area, 12);
        Assert.Null(ZoneGeometry.Validate(result.Geometry));
    }

    [Fact]
    public void Disjoint_or_merely_touching_exclusions_do_not_clip()
    {
        var zone = Rect(0, 0, 0.02, 0.02);
        var disjoint = ZoneGeometry.Clip(zone, [Rect(1, 1, 2, 2)]);
        Assert.False(disjoint.WasClipped);
        Assert.Same(zone, disjoint.Geometry);

        var touching = ZoneGeometry.Clip(zone, [Rect(0.02, 0, 0.03, 0.02)]);
        Assert.False(touching.WasClipped);
        Assert.False(ZoneGeometry.Clip(zone, []).WasClipped);
    }

    [Fact]
    public void A_hole_punched_in_the_middle_and_a_total_cover_are_both_clips()
    {
        var zone = Rect(0, 0, 0.03, 0.03);
        var holed = ZoneGeometry.Clip(zone, [Rect(0.01, 0.01, 0.02, 0.02)]);
        Assert.True(holed.WasClipped);
        Assert.Equal(1, ((Polygon)holed.Geometry).NumInteriorRings);

        var gone = ZoneGeometry.Clip(zone, [Rect(-1, -1, 1, 1)]);
        Assert.True(gone.WasClipped);
        Assert.True(gone.Geometry.IsEmpty);
    }

    [Fact]
    public void A_circle_zone_is_clipped_through_its_polygon()
    {
        var center = new GeoPoint(52.52, 13.40);
        var circle = ZoneGeometry.ToGeometry(new CircleShape(center, 300));
        var school = ZoneGeometry.CircleToPolygon(GeoMath.Destination(center, 90, 250), 100);
        var result = ZoneGeometry.Clip(circle, [school]);
        Assert.True(result.WasClipped);
        Assert.True(result.Geometry.Area < circle.Area);
        Assert.False(result.Geometry.Contains(F.CreatePoint(new Coordinate(school.Centroid.X, school.Centroid.Y))));
    }
}
