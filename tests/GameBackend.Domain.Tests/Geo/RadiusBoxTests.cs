using GameBackend.Domain.Geo;

namespace GameBackend.Domain.Tests.Geo;

public sealed class RadiusBoxTests
{
    [Theory]
    [InlineData(52.52, 13.40, 200)]
    [InlineData(0, 0, 50)]
    [InlineData(-33.87, 151.21, 500)]
    [InlineData(89.999, 10, 200)]
    [InlineData(-89.5, -170, 1_000)]
    [InlineData(10, 179.999, 300)]
    [InlineData(-45, -179.9995, 300)]
    public void Never_rejects_a_point_within_the_radius(double latitude, double longitude, double radius)
    {
        var centre = new GeoPoint(latitude, longitude);
        var box = new RadiusBox(centre, radius);
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            // Uniform bearings, distances up to the radius, many of them right at the edge.
            var distance = i % 4 == 0 ? radius : radius * Math.Sqrt(random.NextDouble());
            var p = GeoMath.Destination(centre, random.NextDouble() * 360, distance);
            if (GeoMath.DistanceMeters(centre, p) <= radius)
            {
                Assert.True(box.MayContain(p.Latitude, p.Longitude), $"{p} at {GeoMath.DistanceMeters(centre, p):F3} m");
            }
        }
    }

    [Fact]
    public void Rejects_points_clearly_beyond_the_radius()
    {
        var centre = new GeoPoint(52.52, 13.40);
        var box = new RadiusBox(centre, 200);
        foreach (var bearing in new[] { 0.0, 45, 90, 135, 180, 225, 270, 315 })
        {
            var far = GeoMath.Destination(centre, bearing, 300);
            Assert.False(box.MayContain(far.Latitude, far.Longitude), $"bearing {bearing}");
        }
    }
}
