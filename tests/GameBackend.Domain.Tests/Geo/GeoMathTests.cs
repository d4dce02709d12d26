using GameBackend.Domain.Geo;

namespace GameBackend.Domain.Tests.Geo;

public sealed class GeoMathTests
{
    private static readonly GeoPoint Paris = new(48.8566, 2.3522);
    private static readonly GeoPoint London = new(51.5074, -0.1278);

    [Fact]
    public void Paris_to_London_is_about_343_5_km()
    {
        var meters = GeoMath.DistanceMeters(Paris, London);
        Assert.InRange(meters, 343_500 * 0.995, 343_500 * 1.005);
        Assert.Equal(meters, GeoMath.DistanceMeters(London, Paris), 6);
    }

    [Fact]
    public void One_degree_of_latitude_is_about_111_195_m()
    {
        Assert.Equal(111_195.08, GeoMath.DistanceMeters(new GeoPoint(0, 10), new GeoPoint(1, 10)), 1);
        Assert.Equal(111_195.08, GeoMath.DistanceMeters(new GeoPoint(45, -70), new GeoPoint(46, -70)), 1);
        Assert.Equal(111_195.08, GeoMath.MetersPerDegree, 1);
    }

    [Fact]
    public void Distance_to_self_is_zero()
    {
        foreach (var p in new[] { new GeoPoint(0, 0), Paris, new GeoPoint(90, 0), new GeoPoint(-90, 180), new GeoPoint(12.3, -180) })
        {
            Assert.Equal(0.0, GeoMath.DistanceMeters(p, p));
        }
    }

    [Theory]
    [InlineData(0, 0, 0, 180)]
    [InlineData(10, 20, -10, -160)]
    [InlineData(90, 0, -90, 0)]
    [InlineData(-33.9, 151.2, 33.9, -28.8)]
    public void Antipodes_are_half_the_circumference_apart(double lat1, double lon1, double lat2, double lon2)
    {
        // Haversine is ill-conditioned at the antipode (asin near 1): a metre out of 20,000 km is expected.
        var meters = GeoMath.DistanceMeters(new GeoPoint(lat1, lon1), new GeoPoint(lat2, lon2));
        Assert.InRange(meters, (Math.PI * GeoMath.EarthRadiusMeters) - 1, Math.PI * GeoMath.EarthRadiusMeters);
    }

    [Fact]
    public void Distance_across_the_antimeridian_is_short()
    {
        var meters = GeoMath.DistanceMeters(new GeoPoint(0, 179.9999), new GeoPoint(0, -179.9999));
        Assert.InRange(meters, 22.0, 22.5);
        Assert.Equal(0.0, GeoMath.DistanceMeters(new GeoPoint(0, 180), new GeoPoint(0, -180)), 6);
    }

    [Fact]
    public void Distance_near_the_poles_is_short()
    {
        // Opposite sides of the north pole, 0.0001° from it each: ~22 m, not half a circumference.
        var meters = GeoMath.DistanceMeters(new GeoPoint(89.9999, 0), new GeoPoint(89.9999, 180));
        Assert.InRange(meters, 22.0, 22.5);
        Assert.InRange(GeoMath.DistanceMeters(new GeoPoint(-89.9999, 45), new GeoPoint(-89.9999, -135)), 22.0, 22.5);

        // Every meridian meets at the pole.
        Assert.Equal(0.0, GeoMath.DistanceMeters(new GeoPoint(90, 0), new GeoPoint(90, 123)), 6);
    }

    [Fact]
    public void Short_distances_are_accurate_to_the_millimetre()
    {
        // 1 m north is 1 / MetersPerDegree degrees of latitude.
        var a = new GeoPoint(51.0, 7.0);
        var b = new GeoPoint(51.0 + (1.0 / GeoMath.MetersPerDegree), 7.0);
        Assert.Equal(1.0, GeoMath.DistanceMeters(a, b), 3);
    }

    [Theory]
    [InlineData(1, 0, 0)]
    [InlineData(0, 1, 90)]
    [InlineData(-1, 0, 180)]
    [InlineData(0, -1, 270)]
    public void Bearings_to_the_cardinal_points(double lat, double lon, double expected)
    {
        Assert.Equal(expected, GeoMath.InitialBearingDegrees(new GeoPoint(0, 0), new GeoPoint(lat, lon)), 9);
    }

    [Fact]
    public void Bearing_across_the_antimeridian_keeps_its_direction()
    {
        Assert.Equal(90.0, GeoMath.InitialBearingDegrees(new GeoPoint(0, 179.9), new GeoPoint(0, -179.9)), 6);
        Assert.Equal(270.0, GeoMath.InitialBearingDegrees(new GeoPoint(0, -179.9), new GeoPoint(0, 179.9)), 6);
        Assert.Equal(90.0, GeoMath.InitialBearingDegrees(new GeoPoint(0, 180), new GeoPoint(0, -179.9)), 6);
    }

    [Fact]
    public void Bearing_is_always_in_0_to_360()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var b = GeoMath.InitialBearingDegrees(RandomPoint(random), RandomPoint(random));
            Assert.InRange(b, 0.0, Math.BitDecrement(360.0));
        }
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(360, 0)]
    [InlineData(720, 0)]
    [InlineData(-360, 0)]
    [InlineData(-90, 270)]
    [InlineData(359.5, 359.5)]
    [InlineData(450, 90)]
    [InlineData(-1e-15, 0)]
    [InlineData(1e-300, 1e-300)]
    public void NormalizeBearing_maps_into_0_to_360(double input, double expected)
    {
        var actual = GeoMath.NormalizeBearing(input);
        Assert.Equal(expected, actual, 9);
        Assert.InRange(actual, 0.0, Math.BitDecrement(360.0));
    }

    [Fact]
    public void NormalizeBearing_of_negative_zero_is_positive_zero()
    {
        // A "-0" heading on the wire is noise; the normal form has one zero.
        var actual = GeoMath.NormalizeBearing(-0.0);
        Assert.Equal(0.0, actual);
        Assert.False(double.IsNegative(actual));
    }

    [Theory]
    [InlineData(1e300)]
    [InlineData(-1e300)]
    [InlineData(1e17)]
    [InlineData(-123456789.123)]
    [InlineData(double.MaxValue)]
    [InlineData(double.MinValue)]
    public void Normalizers_stay_in_range_for_huge_values(double input)
    {
        Assert.InRange(GeoMath.NormalizeBearing(input), 0.0, Math.BitDecrement(360.0));
        Assert.InRange(GeoMath.NormalizeLongitude(input), -180.0, Math.BitDecrement(180.0));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(-180, -180)]
    [InlineData(180, -180)]
    [InlineData(181, -179)]
    [InlineData(-181, 179)]
    [InlineData(540, -180)]
    [InlineData(-540, -180)]
    [InlineData(359, -1)]
    [InlineData(179.5, 179.5)]
    [InlineData(-179.5, -179.5)]
    public void NormalizeLongitude_maps_into_minus_180_to_180(double input, double expected)
    {
        var actual = GeoMath.NormalizeLongitude(input);
        Assert.Equal(expected, actual, 9);
        Assert.InRange(actual, -180.0, Math.BitDecrement(180.0));
    }

    [Fact]
    public void NormalizeLongitude_of_values_a_hair_outside_the_range_stays_in_range()
    {
        // -180 - ulp: adding 360 back rounds up to exactly 360, which must not come out as +180.
        foreach (var input in new[] { Math.BitDecrement(-180.0), Math.BitIncrement(180.0), -0.0, Math.BitDecrement(540.0), Math.BitIncrement(-540.0) })
        {
            Assert.InRange(GeoMath.NormalizeLongitude(input), -180.0, Math.BitDecrement(180.0));
        }

        Assert.False(double.IsNegative(GeoMath.NormalizeLongitude(-0.0)));
    }

    [Theory]
    [InlineData(0, "north")]
    [InlineData(22.49999, "north")]
    [InlineData(22.5, "north-east")]
    [InlineData(45, "north-east")]
    [InlineData(67.49999, "north-east")]
    [InlineData(67.5, "east")]
    [InlineData(90, "east")]
    [InlineData(135, "south-east")]
    [InlineData(180, "south")]
    [InlineData(225, "south-west")]
    [InlineData(270, "west")]
    [InlineData(315, "north-west")]
    [InlineData(337.49999, "north-west")]
    [InlineData(337.5, "north")]
    [InlineData(359.99999, "north")]
    [InlineData(360, "north")]
    [InlineData(-22.5, "north")]
    [InlineData(-22.50001, "north-west")]
    [InlineData(-90, "west")]
    [InlineData(405, "north-east")]
    public void CompassPoint_boundaries(double bearing, string expected)
    {
        Assert.Equal(expected, GeoMath.CompassPoint(bearing));
    }

    [Fact]
    public void Destination_along_cardinal_directions()
    {
        var start = new GeoPoint(0, 0);
        var north = GeoMath.Destination(start, 0, GeoMath.MetersPerDegree);
        Assert.Equal(1.0, north.Latitude, 9);
        Assert.Equal(0.0, north.Longitude, 9);

        var east = GeoMath.Destination(new GeoPoint(0, 179.5), 90, GeoMath.MetersPerDegree);
        Assert.Equal(0.0, east.Latitude, 9);
        Assert.Equal(-179.5, east.Longitude, 9);

        // Straight over the pole: down the other side of the globe.
        var overPole = GeoMath.Destination(new GeoPoint(89.5, 10), 0, GeoMath.MetersPerDegree);
        Assert.Equal(89.5, overPole.Latitude, 6);
        Assert.Equal(-170.0, overPole.Longitude, 6);
    }

    [Theory]
    [InlineData(1, 0.0, 90.0, -180.0, 180.0)]
    [InlineData(2, 89.0, 90.0, -180.0, 180.0)]
    [InlineData(3, -90.0, -89.0, -180.0, 180.0)]
    [InlineData(4, -80.0, 80.0, 179.0, 180.0)]
    [InlineData(5, -80.0, 80.0, -180.0, -179.0)]
    [InlineData(6, -60.0, 60.0, -180.0, 180.0)]
    public void Destination_round_trips_with_distance_and_bearing(int seed, double minLat, double maxLat, double minLon, double maxLon)
    {
        var random = new Random(seed);
        for (var i = 0; i < 5_000; i++)
        {
            var start = new GeoPoint(
                minLat + (random.NextDouble() * (maxLat - minLat)),
                minLon + (random.NextDouble() * (maxLon - minLon)));
            if (Math.Abs(start.Latitude) > 90 - 1e-6)
            {
                continue; // at the pole itself every direction is south (or north): bearing is undefined
            }

            var bearing = random.NextDouble() * 360.0;
            var distance = random.Next(4) switch
            {
                0 => random.NextDouble() * 10,
                1 => random.NextDouble() * 1_000,
                2 => random.NextDouble() * 50_000,
                _ => random.NextDouble() * 5_000_000,
            };

            var end = GeoMath.Destination(start, bearing, distance);
            Assert.True(end.IsValid, $"{start} {bearing} {distance} -> {end}");
            Assert.InRange(end.Longitude, -180.0, Math.BitDecrement(180.0));
            // asin(sin φ) near the poles is ill-conditioned: sub-millimetre error there, micrometres elsewhere.
            var roundTrip = GeoMath.DistanceMeters(start, end);
            Assert.True(Math.Abs(roundTrip - distance) < 1e-3 + (distance * 1e-9), $"{start} {bearing} {distance}: got {roundTrip}");

            if (distance > 1)
            {
                var back = GeoMath.InitialBearingDegrees(start, end);
                var diff = Math.Abs(back - bearing);
                diff = Math.Min(diff, 360 - diff);
                // The same sub-millimetre position error, seen as an angle from the start.
                Assert.True(diff < 1e-6 + GeoMath.ToDegrees(1e-3 / distance), $"{start} bearing {bearing} distance {distance}: got bearing {back}");
            }
        }
    }

    private static GeoPoint RandomPoint(Random random) =>
        new(GeoMath.ToDegrees(Math.Asin((random.NextDouble() * 2) - 1)), (random.NextDouble() * 360) - 180);
}
