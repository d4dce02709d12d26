using GameBackend.Domain.Capture;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;

namespace GameBackend.Domain.Tests.Capture;

public sealed class CaptureRulesTests
{
    private static readonly GeoPoint Creature = new(48.8566, 2.3522);
    private static readonly DateTimeOffset Now = new(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Expires = Now.AddMinutes(10);

    private static readonly CaptureRules Rules = new(new CaptureOptions(), SpeciesCatalog.Default);

    private static CaptureOutcome Attempt(GeoPoint? player, int strikes = 0, DateTimeOffset? now = null, Rarity rarity = Rarity.Common, int seed = 1) =>
        Rules.Attempt(player, strikes, Creature, rarity, Expires, now ?? Now, new Random(seed));

    [Fact]
    public void Range_is_measured_from_the_last_accepted_position()
    {
        Assert.NotEqual(CaptureOutcome.OutOfRange, Attempt(Creature));
        Assert.NotEqual(CaptureOutcome.OutOfRange, Attempt(GeoMath.Destination(Creature, 123, 49.99)));
        Assert.Equal(CaptureOutcome.OutOfRange, Attempt(GeoMath.Destination(Creature, 123, 50.01)));
        Assert.Equal(CaptureOutcome.OutOfRange, Attempt(GeoMath.Destination(Creature, 0, 5_000)));
    }

    [Fact]
    public void Range_is_configurable()
    {
        var wide = new CaptureRules(new CaptureOptions { EncounterRangeMeters = 80 }, SpeciesCatalog.Default);
        var at70 = GeoMath.Destination(Creature, 10, 70);
        Assert.NotEqual(CaptureOutcome.OutOfRange, wide.Attempt(at70, 0, Creature, Rarity.Common, Expires, Now, new Random(1)));
        Assert.Equal(CaptureOutcome.OutOfRange, Attempt(at70));
    }

    [Fact]
    public void No_position_no_catch()
    {
        Assert.Equal(CaptureOutcome.NoPosition, Attempt(null));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(10, true)]
    public void Players_at_the_strike_threshold_are_refused(int strikes, bool refused)
    {
        Assert.Equal(refused, Attempt(Creature, strikes) == CaptureOutcome.TooManyStrikes);
    }

    [Fact]
    public void Expiry_is_exclusive()
    {
        Assert.NotEqual(CaptureOutcome.Expired, Attempt(Creature, now: Expires.AddTicks(-1)));
        Assert.Equal(CaptureOutcome.Expired, Attempt(Creature, now: Expires));
        Assert.Equal(CaptureOutcome.Expired, Attempt(Creature, now: Expires.AddHours(1)));
    }

    [Fact]
    public void Checks_run_in_a_fixed_order()
    {
        var far = GeoMath.Destination(Creature, 0, 1_000);
        Assert.Equal(CaptureOutcome.TooManyStrikes, Attempt(null, strikes: 3, now: Expires));
        Assert.Equal(CaptureOutcome.NoPosition, Attempt(null, now: Expires));
        Assert.Equal(CaptureOutcome.Expired, Attempt(far, now: Expires));
        Assert.Equal(CaptureOutcome.OutOfRange, Attempt(far));
    }

    [Theory]
    [InlineData(Rarity.Common, 0.9)]
    [InlineData(Rarity.Uncommon, 0.7)]
    [InlineData(Rarity.Rare, 0.45)]
    [InlineData(Rarity.Epic, 0.25)]
    [InlineData(Rarity.Legendary, 0.1)]
    public void Catch_rates_follow_the_catalog(Rarity rarity, double expected)
    {
        var random = new Random((int)rarity);
        const int N = 40_000;
        var caught = 0;
        for (var i = 0; i < N; i++)
        {
            var outcome = Rules.Attempt(Creature, 0, Creature, rarity, Expires, Now, random);
            Assert.Contains(outcome, new[] { CaptureOutcome.Caught, CaptureOutcome.Escaped });
            caught += outcome == CaptureOutcome.Caught ? 1 : 0;
        }

        Assert.InRange(caught / (double)N, expected - 0.01, expected + 0.01);
    }

    [Fact]
    public void The_roll_is_deterministic_for_a_seed()
    {
        for (var seed = 0; seed < 100; seed++)
        {
            Assert.Equal(Attempt(Creature, rarity: Rarity.Rare, seed: seed), Attempt(Creature, rarity: Rarity.Rare, seed: seed));
        }
    }
}
