using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;
using NetTopologySuite.Geometries;

namespace GameBackend.Domain.Tests.Spawning;

public sealed class SpawnZoneRulesTests
{
    private static readonly GeoPoint Berlin = new(52.52, 13.40);

    private static SpawnZone Zone(ZoneShape shape, double perHour = 60, int maxAlive = 20) => new()
    {
        Id = "z",
        Shape = shape,
        SpeciesWeights = new Dictionary<string, double> { ["emberkit"] = 3, ["tidewhisk"] = 1, ["nobody"] = 0 },
        SpawnsPerHour = perHour,
        MaxAlive = maxAlive,
    };

    private static Polygon Rect(double west, double south, double east, double north) =>
        ZoneGeometry.Factory.CreatePolygon([new(west, south), new(east, south), new(east, north), new(west, north), new(west, south)]);

    [Fact]
    public void The_cap_is_never_exceeded()
    {
        var zone = Zone(new CircleShape(Berlin, 300), perHour: 600, maxAlive: 7);
        var random = new Random(11);
        var alive = 0;
        for (var tick = 0; tick < 50_000; tick++)
        {
            alive += SpawnZoneRules.SpawnsDue(zone, alive, TimeSpan.FromSeconds(random.Next(1, 600)), random);
            Assert.InRange(alive, 0, 7);
            alive -= random.Next(alive + 1) / 2;
        }

        Assert.Equal(0, SpawnZoneRules.SpawnsDue(zone, 7, TimeSpan.FromHours(10), random));
        Assert.Equal(0, SpawnZoneRules.SpawnsDue(zone, 99, TimeSpan.FromHours(10), random));
        Assert.Equal(0, SpawnZoneRules.SpawnsDue(zone with { MaxAlive = 0 }, 0, TimeSpan.FromHours(10), random));
    }

    [Theory]
    [InlineData(60, 5)]
    [InlineData(12, 30)]
    [InlineData(600, 1)]
    public void The_rate_is_respected_over_simulated_hours(double perHour, int tickSeconds)
    {
        var zone = Zone(new CircleShape(Berlin, 300), perHour, maxAlive: int.MaxValue);
        var random = new Random((int)perHour);
        const int Hours = 24;
        var total = 0L;
        for (var t = 0; t < Hours * 3_600; t += tickSeconds)
        {
            total += SpawnZoneRules.SpawnsDue(zone, 0, TimeSpan.FromSeconds(tickSeconds), random);
        }

        var expected = perHour * Hours;
        Assert.InRange(total, expected * 0.9, expected * 1.1);
    }

    [Fact]
    public void Zero_rate_or_no_time_spawns_nothing()
    {
        var random = new Random(2);
        Assert.Equal(0, SpawnZoneRules.SpawnsDue(Zone(new CircleShape(Berlin, 300), perHour: 0), 0, TimeSpan.FromHours(5), random));
        Assert.Equal(0, SpawnZoneRules.SpawnsDue(Zone(new CircleShape(Berlin, 300)), 0, TimeSpan.Zero, random));
    }

    [Fact]
    public void Species_follow_the_weights_and_zero_weights_never_appear()
    {
        var zone = Zone(new CircleShape(Berlin, 300));
        var random = new Random(5);
        var ember = 0;
        for (var i = 0; i < 40_000; i++)
        {
            var id = SpawnZoneRules.PickSpecies(zone, random);
            Assert.NotEqual("nobody", id);
            ember += id == "emberkit" ? 1 : 0;
        }

        Assert.InRange(ember / 40_000.0, 0.74, 0.76);
    }

    [Theory]
    [InlineData(52.52, 13.40, 500)]
    [InlineData(-33.86, 151.21, 80)]
    [InlineData(64.1, -21.9, 50_000)]
    [InlineData(0.0, 179.999, 2_000)]
    public void Circle_points_are_uniform_over_the_disc(double lat, double lon, double radius)
    {
        var center = new GeoPoint(lat, lon);
        var zone = Zone(new CircleShape(center, radius));
        var random = new Random((int)radius);
        const int N = 20_000;
        var inner = 0;
        var quadrants = new int[4];
        for (var i = 0; i < N; i++)
        {
            var p = SpawnZoneRules.RandomPointIn(zone, random)!.Value;
            Assert.True(p.IsValid);
            var d = GeoMath.DistanceMeters(center, p);
            Assert.True(d <= radius * (1 + 1e-9), $"{p} is {d} m from the centre");
            inner += d <= radius / 2 ? 1 : 0;
            quadrants[(int)(GeoMath.InitialBearingDegrees(center, p) / 90) % 4]++;
        }

        Assert.InRange(inner / (double)N, 0.24, 0.26);
        Assert.All(quadrants, q => Assert.InRange(q, N * 0.235, N * 0.265));
    }

    [Fact]
    public void Polygon_points_are_uniform_quadrant_by_quadrant()
    {
        var square = Rect(13.40, 52.50, 13.42, 52.52);
        var zone = Zone(new PolygonShape(square));
        var random = new Random(8);
        const int N = 20_000;
        var quadrants = new int[4];
        var midLat = GeoMath.ToDegrees(Math.Asin((Math.Sin(GeoMath.ToRadians(52.50)) + Math.Sin(GeoMath.ToRadians(52.52))) / 2));
        for (var i = 0; i < N; i++)
        {
            var p = SpawnZoneRules.RandomPointIn(zone, random)!.Value;
            Assert.True(square.Covers(ZoneGeometry.Factory.CreatePoint(new Coordinate(p.Longitude, p.Latitude))));
            quadrants[(p.Latitude < midLat ? 0 : 2) + (p.Longitude < 13.41 ? 0 : 1)]++;
        }

        Assert.All(quadrants, q => Assert.InRange(q, N * 0.235, N * 0.265));
    }

    [Fact]
    public void Polygon_sampling_is_uniform_over_area_on_the_sphere_not_over_degrees()
    {
        // Between the equator and 60°N, the band below 30° holds sin30/sin60 ≈ 57.7 % of the area.
        var zone = Zone(new PolygonShape(Rect(0, 0, 1, 60)));
        var random = new Random(9);
        const int N = 20_000;
        var below30 = 0;
        for (var i = 0; i < N; i++)
        {
            below30 += SpawnZoneRules.RandomPointIn(zone, random)!.Value.Latitude < 30 ? 1 : 0;
        }

        Assert.InRange(below30 / (double)N, 0.562, 0.592); // degree-uniform sampling would give 0.5
    }

    [Fact]
    public void Concave_and_multi_polygons_are_sampled_by_area()
    {
        // An L of three equal squares, plus a separate square of the same size.
        var l = ZoneGeometry.Factory.CreatePolygon(
            [new(0, 0), new(0.02, 0), new(0.02, 0.01), new(0.01, 0.01), new(0.01, 0.02), new(0, 0.02), new(0, 0)]);
        var multi = ZoneGeometry.Factory.CreateMultiPolygon([l, Rect(0.05, 0, 0.06, 0.01)]);
        var zone = Zone(new PolygonShape(multi));
        var random = new Random(10);
        const int N = 20_000;
        var counts = new int[4];
        for (var i = 0; i < N; i++)
        {
            var p = SpawnZoneRules.RandomPointIn(zone, random)!.Value;
            var index = p.Longitude >= 0.05 ? 3 : p.Latitude >= 0.01 ? 2 : p.Longitude >= 0.01 ? 1 : 0;
            Assert.False(p.Longitude is > 0.01 and < 0.05 && p.Latitude > 0.01, $"{p} is in the L's notch");
            counts[index]++;
        }

        Assert.All(counts, c => Assert.InRange(c, N * 0.235, N * 0.265));
    }

    [Fact]
    public void Points_are_never_inside_an_exclusion_over_many_seeds()
    {
        for (var seed = 0; seed < 250; seed++)
        {
            var random = new Random(seed);
            var center = new GeoPoint((random.NextDouble() * 140) - 70, (random.NextDouble() * 358) - 179);
            var radius = 100 + (random.NextDouble() * 900);
            var shape = seed % 2 == 0
                ? (ZoneShape)new CircleShape(center, radius)
                : new PolygonShape(ZoneGeometry.CircleToPolygon(center, radius, 5 + random.Next(20)));
            var zone = Zone(shape);

            // A circular exclusion somewhere over the zone, a rectangle across its middle, a disjoint one.
            var exclusions = new List<Geometry>
            {
                ZoneGeometry.CircleToPolygon(GeoMath.Destination(center, random.NextDouble() * 360, random.NextDouble() * radius), radius * (0.2 + (random.NextDouble() * 0.6))),
                Rect(center.Longitude - 1, center.Latitude - (radius / 4 / GeoMath.MetersPerDegree), center.Longitude + 1, center.Latitude + (radius / 8 / GeoMath.MetersPerDegree)),
                ZoneGeometry.CircleToPolygon(GeoMath.Destination(center, 0, radius * 5), radius),
            };
            var zoneArea = ZoneGeometry.ToGeometry(shape);
            for (var i = 0; i < 40; i++)
            {
                var p = SpawnZoneRules.RandomPointIn(zone, random, exclusions);
                Assert.NotNull(p);
                var point = ZoneGeometry.Factory.CreatePoint(new Coordinate(p.Value.Longitude, p.Value.Latitude));
                Assert.All(exclusions, e => Assert.False(e.Covers(point), $"seed {seed}: {p} is excluded"));
                if (shape is PolygonShape)
                {
                    Assert.True(zoneArea.Covers(point), $"seed {seed}: {p} is outside the zone");
                }
                else
                {
                    Assert.True(GeoMath.DistanceMeters(center, p.Value) <= radius * (1 + 1e-9));
                }
            }
        }
    }

    [Fact]
    public void A_fully_excluded_zone_gives_null_after_bounded_attempts()
    {
        var zone = Zone(new CircleShape(Berlin, 200));
        var cover = ZoneGeometry.CircleToPolygon(Berlin, 1_000);
        Assert.Null(SpawnZoneRules.RandomPointIn(zone, new Random(1), [cover]));
        Assert.Null(SpawnZoneRules.RandomPointIn(zone, new Random(1), [cover], maxAttempts: 1));

        var square = Zone(new PolygonShape(Rect(13.40, 52.50, 13.42, 52.52)));
        Assert.Null(SpawnZoneRules.RandomPointIn(square, new Random(1), [Rect(13.3, 52.4, 13.5, 52.6)]));
    }

    [Fact]
    public void Sampling_is_deterministic_for_a_seed()
    {
        var zone = Zone(new PolygonShape(Rect(13.40, 52.50, 13.42, 52.52)));
        Assert.Equal(SpawnZoneRules.RandomPointIn(zone, new Random(77)), SpawnZoneRules.RandomPointIn(zone, new Random(77)));
    }

    [Fact]
    public void A_kept_sampler_draws_the_same_points_as_one_off_calls()
    {
        var zone = Zone(new PolygonShape(Rect(13.40, 52.50, 13.42, 52.52)));
        Geometry[] exclusions = [Rect(13.40, 52.50, 13.41, 52.51)];
        var sampler = new ZoneSampler(zone.Shape, exclusions);
        for (var seed = 0; seed < 50; seed++)
        {
            Assert.Equal(SpawnZoneRules.RandomPointIn(zone, new Random(seed), exclusions), sampler.Next(new Random(seed)));
        }
    }

    [Fact]
    public void Zone_validation_names_each_problem()
    {
        var good = Zone(new CircleShape(Berlin, 300));
        Assert.Empty(SpawnZoneRules.Validate(good));
        Assert.Single(SpawnZoneRules.Validate(good with { Shape = new CircleShape(Berlin, 0) }));
        Assert.Single(SpawnZoneRules.Validate(good with { Shape = new CircleShape(new GeoPoint(91, 0), 10) }));
        Assert.Single(SpawnZoneRules.Validate(good with { Shape = new CircleShape(Berlin, 20_000) })); // ~1,250 km²
        Assert.Single(SpawnZoneRules.Validate(good with { SpawnsPerHour = -1 }));
        Assert.Single(SpawnZoneRules.Validate(good with { MaxAlive = -1 }));
        Assert.Single(SpawnZoneRules.Validate(good with { SpeciesWeights = new Dictionary<string, double> { ["a"] = 0 } }));
        Assert.Single(SpawnZoneRules.Validate(good with { StartsAt = DateTimeOffset.UnixEpoch, EndsAt = DateTimeOffset.UnixEpoch }));
    }
}
