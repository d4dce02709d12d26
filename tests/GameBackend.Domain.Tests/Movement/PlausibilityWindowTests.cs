using GameBackend.Domain.Geo;
using GameBackend.Domain.Movement;
using R = GameBackend.Domain.Movement.MovementValidator.Reasons;

namespace GameBackend.Domain.Tests.Movement;

/// <summary>
/// The speed check over a sliding window (issue 13, finding 1): the attacks that a per-fix check
/// let through, and the honest movement that must still pass. Randomness is seeded.
/// </summary>
public sealed class PlausibilityWindowTests
{
    private const long T0 = 1_800_000_000_000;
    private static readonly GeoPoint Home = new(48.8566, 2.3522);

    private static LocationFix At(long seq, long serverMs, GeoPoint p, double? accuracy = 5) =>
        new(seq, serverMs, serverMs, p.Latitude, p.Longitude, accuracy, null, null, null, null, null, null);

    [Fact]
    public void Ten_fixes_a_second_at_60_m_steps_are_rejected_with_strikes()
    {
        var validator = new MovementValidator(new MovementRules());
        long seq = 0;
        // Ten seconds standing at home, one fix a second, so the window is full.
        for (var i = 0; i < 10; i++)
        {
            Assert.True(validator.Apply(At(++seq, T0 + (i * 1_000), Home)).Accepted);
        }

        // Then 10 fixes/s, each 60 m further: 600 m/s. The old rule allowed 50 m × 1 s + 25 m per
        // fix, so every one was accepted.
        var start = T0 + 10_000;
        var accepted = 0;
        var rejected = 0;
        for (var i = 1; i <= 50; i++)
        {
            var verdict = validator.Apply(At(++seq, start + (i * 100), GeoMath.Destination(Home, 90, 60.0 * i)));
            if (verdict.Accepted)
            {
                accepted++;
            }
            else
            {
                Assert.Equal(R.ImplausibleSpeed, verdict.Reason);
                rejected++;
            }
        }

        Assert.True(accepted <= 1, $"{accepted} teleport steps accepted");
        Assert.Equal(50 - accepted, rejected);
        Assert.True(validator.StrikesAt(start + 5_000) >= 3);
        var trusted = validator.Trusted!.Value;
        Assert.True(GeoMath.DistanceMeters(Home, new GeoPoint(trusted.Latitude, trusted.Longitude)) <= 75);
    }

    [Theory]
    [InlineData(100, 60.0)] // 600 m/s
    [InlineData(200, 60.0)] // 300 m/s
    [InlineData(500, 35.0)] // 70 m/s
    [InlineData(1_000, 60.0)] // 60 m/s: under the old 75 m a second, so it never earned a strike
    [InlineData(100, 5.5)] // 55 m/s
    public void No_cadence_gains_more_than_the_speed_limit_over_the_window(int intervalMs, double stepMeters)
    {
        var rules = new MovementRules();
        var validator = new MovementValidator(rules);
        long seq = 0;
        Assert.True(validator.Apply(At(++seq, T0, Home)).Accepted);

        // Two minutes of trying: after each rejection the attacker keeps going from where it claims to be.
        var ticks = 120_000 / intervalMs;
        for (var i = 1; i <= ticks; i++)
        {
            validator.Apply(At(++seq, T0 + (i * intervalMs), GeoMath.Destination(Home, 90, stepMeters * i)));
        }

        var end = T0 + (ticks * intervalMs);
        var trusted = validator.Trusted!.Value;
        var gained = GeoMath.DistanceMeters(Home, new GeoPoint(trusted.Latitude, trusted.Longitude));
        // The documented bound: the limit over the time, plus one allowance per window crossed.
        var seconds = (end - T0) / 1000.0;
        var allowances = Math.Ceiling(seconds / rules.PlausibilityWindow.TotalSeconds) + 1;
        Assert.True(gained <= (rules.MaxSpeedMetersPerSecond * seconds) + (rules.JitterAllowanceMeters * allowances),
            $"{gained:F0} m gained in {(end - T0) / 1000.0} s");
        Assert.True(validator.StrikesAt(end) >= 1);
    }

    [Theory]
    [InlineData(1_000, 15.0)]
    [InlineData(100, 30.0)] // ten fixes a second, each up to 30 m off
    public void Gps_jitter_at_rest_is_accepted_without_strikes(int intervalMs, double accuracy)
    {
        var random = new Random(1313);
        var validator = new MovementValidator(new MovementRules());
        var fixes = 600_000 / intervalMs;
        for (var i = 0; i < fixes; i++)
        {
            // Each reading lands anywhere within its reported accuracy radius of the true spot.
            var reading = GeoMath.Destination(Home, random.NextDouble() * 360, random.NextDouble() * accuracy);
            var verdict = validator.Apply(At(i + 1, T0 + (i * intervalMs), reading, accuracy));
            Assert.True(verdict.Accepted, $"fix {i}: {verdict.Reason} at {verdict.ImpliedSpeed:F1} m/s");
        }

        Assert.Equal(0, validator.StrikesAt(T0 + (fixes * (long)intervalMs)));
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(100)]
    public void A_car_at_30_m_per_s_is_accepted_without_strikes(int intervalMs)
    {
        var random = new Random(30);
        var validator = new MovementValidator(new MovementRules());
        var position = Home;
        var bearing = 45.0;
        var fixes = 600_000 / intervalMs;
        for (var i = 0; i < fixes; i++)
        {
            if (i > 0)
            {
                // A road that bends now and then, at a steady 30 m/s.
                bearing += (random.NextDouble() - 0.5) * 10;
                position = GeoMath.Destination(position, bearing, 30.0 * intervalMs / 1000.0);
            }

            var reading = GeoMath.Destination(position, random.NextDouble() * 360, random.NextDouble() * 8);
            var verdict = validator.Apply(At(i + 1, T0 + (i * intervalMs), reading, 8));
            Assert.True(verdict.Accepted, $"fix {i}: {verdict.Reason} at {verdict.ImpliedSpeed:F1} m/s");
        }

        Assert.Equal(0, validator.StrikesAt(T0 + (fixes * (long)intervalMs)));
    }

    [Fact]
    public void A_walk_buffered_by_a_bad_network_and_delivered_in_a_burst_is_accepted()
    {
        var validator = new MovementValidator(new MovementRules());
        Assert.True(validator.Apply(At(1, T0, Home)).Accepted);
        // 30 s of walking at 1.5 m/s (45 m), held by the phone, then delivered 100 ms apart.
        var arrival = T0 + 31_000;
        for (var i = 1; i <= 30; i++)
        {
            var verdict = validator.Apply(At(i + 1, arrival + ((i / 10) * 1_000) + ((i % 10) * 100), GeoMath.Destination(Home, 0, 1.5 * i)));
            Assert.True(verdict.Accepted, $"fix {i}: {verdict.Reason}");
        }
    }

    [Fact]
    public void Reported_accuracy_widens_the_allowance_up_to_its_cap()
    {
        var rules = new MovementRules { JitterAllowanceMeters = 25, MaxAccuracyAllowanceMeters = 100 };
        var validator = new MovementValidator(rules);
        Assert.Equal(25, validator.Allowance(5, 5));
        Assert.Equal(25, validator.Allowance(null, null));
        Assert.Equal(70, validator.Allowance(40, 30));
        Assert.Equal(100, validator.Allowance(5_000, 5_000));

        // 1 s at 50 m/s + 70 m: 119 m is plausible for two poor fixes, not for two good ones.
        var poor = new MovementValidator(rules);
        Assert.True(poor.Apply(At(1, T0, Home, 40)).Accepted);
        Assert.True(poor.Apply(At(2, T0 + 1_000, GeoMath.Destination(Home, 0, 119), 30)).Accepted);
        var good = new MovementValidator(rules);
        Assert.True(good.Apply(At(1, T0, Home, 5)).Accepted);
        Assert.Equal(R.ImplausibleSpeed, good.Apply(At(2, T0 + 1_000, GeoMath.Destination(Home, 0, 119), 5)).Reason);

        // A spoofer claiming a huge radius buys at most the cap.
        var liar = new MovementValidator(rules);
        Assert.True(liar.Apply(At(1, T0, Home, 10_000)).Accepted);
        Assert.Equal(R.ImplausibleSpeed, liar.Apply(At(2, T0 + 1_000, GeoMath.Destination(Home, 0, 151), 10_000)).Reason);
    }

    [Fact]
    public void A_restored_state_keeps_strikes_ban_and_judges_the_next_fix_from_the_trusted_position()
    {
        var rules = new MovementRules();
        var before = new MovementValidator(rules);
        Assert.True(before.Apply(At(1, T0, Home)).Accepted);
        for (var i = 2; i <= 4; i++)
        {
            Assert.False(before.Apply(At(i, T0 + (i * 1_000), GeoMath.Destination(Home, 90, 10_000))).Accepted);
        }

        var saved = before.Snapshot();
        Assert.Equal(3, saved.Strikes);

        // ~21 minutes later (the grain was collected meanwhile), a fix 1,000 km away.
        var later = T0 + (21 * 60_000);
        var after = new MovementValidator(rules);
        after.Restore(saved, later);
        Assert.Null(after.Last); // the sequence starts afresh with the activation
        Assert.Equal(1, after.StrikesAt(later)); // two decay periods passed
        var verdict = after.Apply(At(1, later, GeoMath.Destination(Home, 90, 1_000_000)));
        Assert.Equal(R.ImplausibleSpeed, verdict.Reason);
        Assert.Equal(2, after.StrikesAt(later));

        // Without the restore (the old behaviour) the same fix was accepted with a clean record.
        var fresh = new MovementValidator(rules);
        Assert.True(fresh.Apply(At(1, later, GeoMath.Destination(Home, 90, 1_000_000))).Accepted);
    }

    [Fact]
    public void A_restored_trusted_position_older_than_its_lifetime_is_forgotten()
    {
        var rules = new MovementRules { TrustedPositionLifetime = TimeSpan.FromHours(6) };
        var saved = new FairPlayState(0, 0, 0, new TrustedPosition(T0, Home.Latitude, Home.Longitude, 5));
        var far = GeoMath.Destination(Home, 90, 2_000_000);

        var within = new MovementValidator(rules);
        within.Restore(saved, T0 + TimeSpan.FromHours(6).Ticks / TimeSpan.TicksPerMillisecond);
        Assert.NotNull(within.Trusted);
        Assert.False(within.Apply(At(1, T0 + (6 * 3_600_000), far)).Accepted);

        var beyond = new MovementValidator(rules);
        beyond.Restore(saved, T0 + (6 * 3_600_000) + 1);
        Assert.Null(beyond.Trusted);
        Assert.True(beyond.Apply(At(1, T0 + (6 * 3_600_000) + 1, far)).Accepted);
    }

    [Fact]
    public void Reaching_the_ban_threshold_bans_for_the_full_duration_though_strikes_decay()
    {
        var rules = new MovementRules { BanStrikes = 4, BanDuration = TimeSpan.FromHours(24), StrikeDecay = TimeSpan.FromMinutes(10) };
        var validator = new MovementValidator(rules);
        Assert.True(validator.Apply(At(1, T0, Home)).Accepted);
        for (var i = 2; i <= 4; i++)
        {
            Assert.False(validator.Apply(At(i, T0 + (i * 1_000), GeoMath.Destination(Home, 90, 10_000))).Accepted);
        }

        Assert.False(validator.IsBannedAt(T0 + 4_000));
        Assert.False(validator.Apply(At(5, T0 + 5_000, GeoMath.Destination(Home, 90, 10_000))).Accepted);
        Assert.True(validator.IsBannedAt(T0 + 5_000));

        const long Day = 24 * 3_600_000;
        Assert.Equal(0, validator.StrikesAt(T0 + 5_000 + Day - 1));
        Assert.True(validator.IsBannedAt(T0 + 5_000 + Day - 1));
        Assert.False(validator.IsBannedAt(T0 + 5_000 + Day));

        var restored = new MovementValidator(rules);
        restored.Restore(validator.Snapshot(), T0 + 6_000);
        Assert.True(restored.IsBannedAt(T0 + 6_000));
    }
}
