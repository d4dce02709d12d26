using System.Text;
using GameBackend.Domain.Cells;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;

namespace GameBackend.Domain.Tests.Spawning;

public sealed class AmbientSpawnRulesTests
{
    private static readonly string[] BothSpecies = ["a", "z"];

    private static readonly double CellKm2 = CellAreaKm2(48.8566, 2.3522);

    private static double CellAreaKm2(double lat, double lon)
    {
        var grid = new CellGrid(200);
        return grid.AreaSquareMeters(grid.CellOf(new GeoPoint(lat, lon))) / 1e6;
    }

    private static AmbientSpawnRules Rules(AmbientSpawnOptions? options = null) =>
        new(options ?? new AmbientSpawnOptions(), SpeciesCatalog.Default);

    [Fact]
    public void A_200_m_cell_is_about_0_04_km2()
    {
        Assert.InRange(CellKm2, 0.036, 0.0401);
        Assert.InRange(CellAreaKm2(0.1, 0), 0.036, 0.0401);
        Assert.InRange(CellAreaKm2(-70, 100), 0.036, 0.0401);
    }

    [Fact]
    public void The_rarity_mix_converges_to_the_configured_weights()
    {
        var rules = Rules();
        var random = new Random(42);
        const int N = 200_000;
        var counts = new int[5];
        for (var i = 0; i < N; i++)
        {
            counts[(int)rules.PickSpecies(random).Rarity]++;
        }

        double[] expected = [0.60, 0.25, 0.10, 0.04, 0.01];
        for (var tier = 0; tier < 5; tier++)
        {
            Assert.InRange(counts[tier] / (double)N, expected[tier] - 0.005, expected[tier] + 0.005);
        }

        // Every species of the default catalog turns up.
        var seen = new HashSet<string>();
        for (var i = 0; i < 20_000; i++)
        {
            seen.Add(rules.PickSpecies(random).Id);
        }

        Assert.Equal(SpeciesCatalog.Default.Species.Count, seen.Count);
    }

    [Fact]
    public void Tiers_without_species_are_never_picked()
    {
        var catalog = SpeciesCatalog.Load(new MemoryStream(Encoding.UTF8.GetBytes("""
            {"species":[{"id":"a","name":"A","rarity":"common"},{"id":"z","name":"Z","rarity":"legendary"}],
             "catchProbability": {"common":0.9,"uncommon":0.7,"rare":0.45,"epic":0.25,"legendary":0.1} }
            """)));
        var rules = new AmbientSpawnRules(new AmbientSpawnOptions(), catalog);
        var random = new Random(1);
        var legendary = 0;
        for (var i = 0; i < 61_000; i++)
        {
            var s = rules.PickSpecies(random);
            Assert.Contains(s.Id, BothSpecies);
            legendary += s.Id == "z" ? 1 : 0;
        }

        Assert.InRange(legendary, 700, 1_300); // 1 in 61
    }

    [Fact]
    public void Same_seed_same_spawns()
    {
        var rules = Rules();
        static List<string> Run(AmbientSpawnRules rules, int seed)
        {
            var random = new Random(seed);
            var log = new List<string>();
            var alive = 0;
            for (var t = 0; t < 300; t++)
            {
                var n = rules.SpawnsDue(CellKm2, alive, TimeSpan.FromSeconds(1), random);
                for (var i = 0; i < n; i++)
                {
                    log.Add($"{t}:{rules.PickSpecies(random).Id}");
                }

                alive += n;
            }

            return log;
        }

        Assert.Equal(Run(rules, 7), Run(rules, 7));
        Assert.NotEqual(Run(rules, 7), Run(rules, 8));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void An_empty_cell_shows_a_first_creature_within_half_a_minute_and_several_within_minutes(int tickSeconds)
    {
        var rules = Rules();
        const int Players = 2_000;
        var firstWithin30 = 0;
        var aliveAfter3Min = 0;
        for (var seed = 0; seed < Players; seed++)
        {
            var random = new Random(seed);
            var alive = 0;
            int? first = null;
            for (var t = tickSeconds; t <= 180; t += tickSeconds)
            {
                alive += rules.SpawnsDue(CellKm2, alive, TimeSpan.FromSeconds(tickSeconds), random);
                if (alive > 0 && first is null)
                {
                    first = t;
                }
            }

            firstWithin30 += first <= 30 ? 1 : 0;
            aliveAfter3Min += alive;
        }

        Assert.True(firstWithin30 >= Players * 0.85, $"{firstWithin30} of {Players} saw a creature within 30 s");
        Assert.InRange(aliveAfter3Min / (double)Players, 3.5, 5.0);
    }

    [Fact]
    public void A_cell_is_never_filled_past_its_target_rounded_up()
    {
        var rules = Rules();
        var random = new Random(3);
        var cap = (int)Math.Ceiling(rules.TargetFor(CellKm2));
        var alive = 0;
        for (var t = 0; t < 20_000; t++)
        {
            var elapsed = TimeSpan.FromSeconds(random.Next(1, 3_600));
            alive += rules.SpawnsDue(CellKm2, alive, elapsed, random);
            Assert.InRange(alive, 0, cap);
            alive -= random.Next(alive + 1) / 2; // some despawn or get caught
        }

        Assert.Equal(0, rules.SpawnsDue(CellKm2, cap, TimeSpan.FromHours(1), random));
        Assert.Equal(0, rules.SpawnsDue(CellKm2, cap + 10, TimeSpan.FromHours(1), random));
    }

    [Fact]
    public void Nothing_spawns_without_time_or_area()
    {
        var rules = Rules();
        var random = new Random(4);
        for (var i = 0; i < 1_000; i++)
        {
            Assert.Equal(0, rules.SpawnsDue(CellKm2, 0, TimeSpan.Zero, random));
            Assert.Equal(0, rules.SpawnsDue(CellKm2, 0, TimeSpan.FromSeconds(-5), random));
            Assert.Equal(0, rules.SpawnsDue(0, 0, TimeSpan.FromMinutes(5), random));
        }
    }

    [Fact]
    public void A_long_gap_fills_a_big_area_to_about_its_target()
    {
        var rules = Rules();
        var n = rules.SpawnsDue(10, 0, TimeSpan.FromHours(1), new Random(5));
        Assert.InRange(n, 1_100, 1_200);
    }

    [Fact]
    public void Lifetime_defaults_to_15_minutes()
    {
        var rules = Rules();
        var t = new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(t.AddMinutes(15), rules.ExpiresAt(t));
    }

    [Fact]
    public void Bad_options_are_refused_with_reasons()
    {
        var bad = new AmbientSpawnOptions
        {
            TargetPerSquareKm = double.NaN,
            FillTime = TimeSpan.Zero,
            Lifetime = TimeSpan.FromMinutes(-1),
            RarityMix = new Dictionary<Rarity, double> { [Rarity.Common] = 0 },
        };
        Assert.Equal(4, bad.Validate().Count);
        Assert.Throws<ArgumentException>(() => Rules(bad));
        Assert.Empty(new AmbientSpawnOptions().Validate());
    }
}
