using GameBackend.Domain.Geo;
using GameBackend.Domain.Movement;
using R = GameBackend.Domain.Movement.MovementValidator.Reasons;

namespace GameBackend.Domain.Tests.Movement;

public sealed class MovementValidatorTests
{
    private const long T0 = 1_800_000_000_000;

    private static LocationFix Fix(long seq, long serverMs, double lat = 48.85, double lon = 2.35, long? deviceMs = null) =>
        new(seq, deviceMs ?? serverMs, serverMs, lat, lon, 5, 90, 1.2, 90, 0, 0, 9.81);

    private static LocationFix At(long seq, long serverMs, GeoPoint p) => Fix(seq, serverMs, p.Latitude, p.Longitude);

    public static TheoryData<string, LocationFix> NotFiniteCases()
    {
        var data = new TheoryData<string, LocationFix>();
        var good = Fix(1, T0);
        foreach (var bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            data.Add("lat", good with { Latitude = bad });
            data.Add("lon", good with { Longitude = bad });
            data.Add("accuracy", good with { Accuracy = bad });
            data.Add("heading", good with { Heading = bad });
            data.Add("speed", good with { Speed = bad });
            data.Add("course", good with { Course = bad });
            data.Add("accelX", good with { AccelX = bad });
            data.Add("accelY", good with { AccelY = bad });
            data.Add("accelZ", good with { AccelZ = bad });
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NotFiniteCases))]
    public void Non_finite_numbers_are_rejected(string field, LocationFix fix)
    {
        var validator = new MovementValidator(new MovementRules());
        var verdict = validator.Apply(fix);
        Assert.False(verdict.Accepted, field);
        Assert.Equal(R.NotFinite, verdict.Reason);
        Assert.Null(validator.Last);
    }

    public static TheoryData<LocationFix, string?> ShapeCases()
    {
        var good = Fix(1, T0);
        return new TheoryData<LocationFix, string?>
        {
            { good, null },
            { good with { Latitude = 90 }, null },
            { good with { Latitude = -90 }, null },
            { good with { Latitude = Math.BitIncrement(90.0) }, R.LatitudeOutOfRange },
            { good with { Latitude = -90.0001 }, R.LatitudeOutOfRange },
            { good with { Longitude = 180 }, null },
            { good with { Longitude = -180 }, null },
            { good with { Longitude = 180.0001 }, R.LongitudeOutOfRange },
            { good with { Longitude = Math.BitDecrement(-180.0) }, R.LongitudeOutOfRange },
            { good with { Heading = 0 }, null },
            { good with { Heading = 359.999 }, null },
            { good with { Heading = 360 }, R.HeadingOutOfRange },
            { good with { Heading = -0.001 }, R.HeadingOutOfRange },
            { good with { Course = 0 }, null },
            { good with { Course = 360 }, R.CourseOutOfRange },
            { good with { Course = -1 }, R.CourseOutOfRange },
            { good with { Speed = 0 }, null },
            { good with { Speed = -0.01 }, R.NegativeSpeed },
            { good with { Accuracy = 0 }, null },
            { good with { Accuracy = -1 }, R.NegativeAccuracy },
            { good with { Accuracy = null, Heading = null, Speed = null, Course = null, AccelX = null, AccelY = null, AccelZ = null }, null },
            { good with { DeviceTimeMs = T0 + 30_000 }, null },
            { good with { DeviceTimeMs = T0 + 30_001 }, R.TimestampInFuture },
            { good with { DeviceTimeMs = T0 - 86_400_000 }, null },
        };
    }

    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void Shape_checks(LocationFix fix, string? expected)
    {
        Assert.Equal(expected, MovementValidator.CheckShape(fix, T0, TimeSpan.FromSeconds(30)));
        var verdict = new MovementValidator(new MovementRules()).Apply(fix);
        Assert.Equal(expected is null, verdict.Accepted);
        Assert.Equal(expected, verdict.Reason);
    }

    [Fact]
    public void Future_skew_is_configurable()
    {
        var validator = new MovementValidator(new MovementRules { MaxFutureSkew = TimeSpan.FromSeconds(2) });
        Assert.Equal(R.TimestampInFuture, validator.Apply(Fix(1, T0, deviceMs: T0 + 2_001)).Reason);
        Assert.True(validator.Apply(Fix(2, T0, deviceMs: T0 + 2_000)).Accepted);
    }

    [Fact]
    public void Stale_and_duplicate_sequence_numbers_are_rejected()
    {
        var validator = new MovementValidator(new MovementRules());
        Assert.True(validator.Apply(Fix(5, T0)).Accepted);
        Assert.Equal(R.StaleSequence, validator.Apply(Fix(5, T0 + 1_000)).Reason);
        Assert.Equal(R.StaleSequence, validator.Apply(Fix(4, T0 + 2_000)).Reason);
        Assert.Equal(R.StaleSequence, validator.Apply(Fix(-1, T0 + 3_000)).Reason);
        Assert.Equal(5, validator.Last!.Value.Seq);
        Assert.True(validator.Apply(Fix(7, T0 + 4_000)).Accepted);
        Assert.Equal(7, validator.Last!.Value.Seq);
    }

    [Fact]
    public void The_last_accepted_fix_repeated_as_it_was_is_accepted_again_and_changes_nothing()
    {
        // A retried call whose first answer was lost: same seq, same server time, same reading.
        var validator = new MovementValidator(new MovementRules { MaxUpdatesPerSecond = 1, RateBurst = 1 });
        var fix = Fix(5, T0);
        Assert.True(validator.Apply(fix).Accepted);
        Assert.True(validator.Apply(fix).Accepted); // no rate token needed, no strike
        Assert.Equal(fix, validator.Last);
        Assert.Equal(0, validator.StrikesAt(T0));

        // Anything else with that seq is still stale.
        Assert.Equal(R.StaleSequence, validator.Apply(Fix(5, T0 + 2_000, lat: 48.86)).Reason);
    }

    [Fact]
    public void A_rejection_leaves_the_last_fix_in_place()
    {
        var validator = new MovementValidator(new MovementRules());
        var first = Fix(1, T0);
        Assert.True(validator.Apply(first).Accepted);
        var rejected = new[]
        {
            Fix(2, T0 + 1_000) with { Latitude = double.NaN },
            Fix(3, T0 + 2_000) with { Latitude = 91 },
            Fix(4, T0 + 3_000) with { Heading = 360 },
            Fix(5, T0 + 4_000, deviceMs: T0 + 100_000),
            Fix(1, T0 + 5_000),
            Fix(6, T0 + 6_000, lat: 49.85),
        };
        foreach (var fix in rejected)
        {
            Assert.False(validator.Apply(fix).Accepted);
            Assert.Equal(first, validator.Last);
        }

        // A later fix is judged against the last accepted one, not against a rejected one.
        Assert.True(validator.Apply(Fix(7, T0 + 7_000)).Accepted);
    }

    [Fact]
    public void Implied_speed_just_under_and_over_the_limit()
    {
        var rules = new MovementRules { JitterAllowanceMeters = 0, MinIntervalSeconds = 1 };
        var start = new GeoPoint(48.85, 2.35);

        // Both fixes report a 5 m accuracy radius: with no jitter allowance, the pair may differ by
        // 10 s at the limit plus those 10 m.
        var under = new MovementValidator(rules);
        Assert.True(under.Apply(At(1, T0, start)).Accepted);
        Assert.True(under.Apply(At(2, T0 + 10_000, GeoMath.Destination(start, 45, 509.9))).Accepted);

        var over = new MovementValidator(rules);
        Assert.True(over.Apply(At(1, T0, start)).Accepted);
        var verdict = over.Apply(At(2, T0 + 10_000, GeoMath.Destination(start, 45, 510.1)));
        Assert.False(verdict.Accepted);
        Assert.Equal(R.ImplausibleSpeed, verdict.Reason);
        Assert.Equal(51.01, verdict.ImpliedSpeed!.Value, 6);
        Assert.Equal(1, over.StrikesAt(T0 + 10_000));
    }

    [Fact]
    public void Jitter_allowance_is_added_to_the_distance_allowed()
    {
        var rules = new MovementRules { JitterAllowanceMeters = 25, MinIntervalSeconds = 1 };
        var start = new GeoPoint(-33.86, 151.21);

        var under = new MovementValidator(rules);
        Assert.True(under.Apply(At(1, T0, start)).Accepted);
        Assert.True(under.Apply(At(2, T0 + 10_000, GeoMath.Destination(start, 200, 524.9))).Accepted);

        var over = new MovementValidator(rules);
        Assert.True(over.Apply(At(1, T0, start)).Accepted);
        Assert.False(over.Apply(At(2, T0 + 10_000, GeoMath.Destination(start, 200, 525.1))).Accepted);
    }

    [Fact]
    public void Bursts_are_divided_by_the_minimum_interval_not_by_their_real_gap()
    {
        // 200 ms apart: without the floor 60 m would read as 300 m/s.
        var rules = new MovementRules { JitterAllowanceMeters = 25, MinIntervalSeconds = 1 };
        var start = new GeoPoint(35.68, 139.76);

        var under = new MovementValidator(rules);
        Assert.True(under.Apply(At(1, T0, start)).Accepted);
        Assert.True(under.Apply(At(2, T0 + 200, GeoMath.Destination(start, 0, 74.9))).Accepted);

        // The floor and the allowance are granted once per window, not once per fix: the next step
        // of the same size 200 ms later is judged from the start too (the old rule accepted it, and
        // every step after it: 375 m/s with no strike).
        var next = under.Apply(At(3, T0 + 400, GeoMath.Destination(start, 0, 149.8)));
        Assert.Equal(R.ImplausibleSpeed, next.Reason);
        Assert.Equal(1, under.StrikesAt(T0 + 400));

        var over = new MovementValidator(rules);
        Assert.True(over.Apply(At(1, T0, start)).Accepted);
        var verdict = over.Apply(At(2, T0 + 200, GeoMath.Destination(start, 0, 75.1)));
        Assert.Equal(R.ImplausibleSpeed, verdict.Reason);
        Assert.Equal(75.1, verdict.ImpliedSpeed!.Value, 6);

        // Same server millisecond: still divided by the floor, not by zero.
        var same = new MovementValidator(rules);
        Assert.True(same.Apply(At(1, T0, start)).Accepted);
        Assert.True(same.Apply(At(2, T0, GeoMath.Destination(start, 0, 74.9))).Accepted);
        var burst = same.Apply(At(3, T0, GeoMath.Destination(start, 0, 200)));
        Assert.Equal(R.ImplausibleSpeed, burst.Reason);
        Assert.True(double.IsFinite(burst.ImpliedSpeed!.Value));
    }

    [Fact]
    public void Speed_is_measured_across_the_antimeridian()
    {
        var validator = new MovementValidator(new MovementRules());
        Assert.True(validator.Apply(Fix(1, T0, lat: -16.8, lon: 179.9999)).Accepted);
        Assert.True(validator.Apply(Fix(2, T0 + 1_000, lat: -16.8, lon: -179.9999)).Accepted);
        Assert.True(validator.Apply(Fix(3, T0 + 2_000, lat: -16.8, lon: 179.9998)).Accepted);

        // ... and a real jump of 0.01° (~1 km) across it in one second is still caught.
        var verdict = validator.Apply(Fix(4, T0 + 3_000, lat: -16.8, lon: -179.99));
        Assert.Equal(R.ImplausibleSpeed, verdict.Reason);
        Assert.InRange(verdict.ImpliedSpeed!.Value, 1_000, 1_200);
    }

    [Fact]
    public void Strikes_increment_and_decay_one_per_full_period()
    {
        var validator = new MovementValidator(new MovementRules { StrikeDecay = TimeSpan.FromMinutes(10) });
        var home = new GeoPoint(52.52, 13.40);
        var far = GeoMath.Destination(home, 90, 10_000);
        Assert.True(validator.Apply(At(1, T0, home)).Accepted);
        Assert.Equal(0, validator.StrikesAt(T0));

        Assert.False(validator.Apply(At(2, T0 + 1_000, far)).Accepted);
        Assert.Equal(1, validator.StrikesAt(T0 + 1_000));
        Assert.False(validator.Apply(At(3, T0 + 2_000, far)).Accepted);
        Assert.False(validator.Apply(At(4, T0 + 3_000, far)).Accepted);
        var last = T0 + 3_000;
        Assert.Equal(3, validator.StrikesAt(last));

        const long Period = 10 * 60 * 1_000;
        Assert.Equal(3, validator.StrikesAt(last + Period - 1));
        Assert.Equal(2, validator.StrikesAt(last + Period));
        Assert.Equal(2, validator.StrikesAt(last + (2 * Period) - 1));
        Assert.Equal(1, validator.StrikesAt(last + (2 * Period)));
        Assert.Equal(0, validator.StrikesAt(last + (3 * Period)));
        Assert.Equal(0, validator.StrikesAt(last + (300 * Period)));

        // A new strike counts from what is left after decay, and restarts the period.
        var later = last + (2 * Period) + 5_000;
        Assert.False(validator.Apply(At(5, later, GeoMath.Destination(home, 90, 10_000_000))).Accepted);
        Assert.Equal(2, validator.StrikesAt(later));
        Assert.Equal(2, validator.StrikesAt(later + Period - 1));
        Assert.Equal(1, validator.StrikesAt(later + Period));
    }

    [Fact]
    public void Only_implausible_speed_earns_strikes()
    {
        var validator = new MovementValidator(new MovementRules());
        Assert.True(validator.Apply(Fix(1, T0)).Accepted);
        Assert.False(validator.Apply(Fix(1, T0 + 1_000)).Accepted);
        Assert.False(validator.Apply(Fix(2, T0 + 2_000) with { Latitude = double.NaN }).Accepted);
        Assert.False(validator.Apply(Fix(3, T0 + 3_000) with { Accuracy = -1 }).Accepted);
        Assert.Equal(0, validator.StrikesAt(T0 + 3_000));
    }

    [Fact]
    public void The_eleventh_update_in_one_millisecond_is_rate_limited_and_the_bucket_refills()
    {
        var validator = new MovementValidator(new MovementRules());
        for (var seq = 1; seq <= 10; seq++)
        {
            Assert.True(validator.Apply(Fix(seq, T0)).Accepted, $"update {seq}");
        }

        Assert.Equal(R.RateLimited, validator.Apply(Fix(11, T0)).Reason);
        Assert.Equal(R.RateLimited, validator.Apply(Fix(11, T0 + 99)).Reason);
        Assert.True(validator.Apply(Fix(11, T0 + 100)).Accepted);
        Assert.Equal(R.RateLimited, validator.Apply(Fix(12, T0 + 100)).Reason);

        // A quiet second refills the whole burst, but never more than the burst.
        for (var seq = 12; seq <= 21; seq++)
        {
            Assert.True(validator.Apply(Fix(seq, T0 + 60_000)).Accepted, $"update {seq}");
        }

        Assert.Equal(R.RateLimited, validator.Apply(Fix(22, T0 + 60_000)).Reason);
    }

    [Fact]
    public void A_steady_ten_per_second_is_never_limited()
    {
        var validator = new MovementValidator(new MovementRules());
        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(validator.Apply(Fix(i + 1, T0 + (i * 100))).Accepted, $"update {i}");
        }
    }

    [Fact]
    public void Rate_limiting_comes_before_every_other_check_and_consumes_a_token_for_rejected_fixes()
    {
        var validator = new MovementValidator(new MovementRules());
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(R.NotFinite, validator.Apply(Fix(1, T0) with { Longitude = double.NaN }).Reason);
        }

        Assert.Equal(R.RateLimited, validator.Apply(Fix(1, T0)).Reason);
        Assert.Null(validator.Last);
    }

    [Fact]
    public void A_clock_going_backwards_does_not_refill_the_bucket()
    {
        var validator = new MovementValidator(new MovementRules());
        for (var seq = 1; seq <= 10; seq++)
        {
            Assert.True(validator.Apply(Fix(seq, T0)).Accepted);
        }

        Assert.Equal(R.RateLimited, validator.Apply(Fix(11, T0 - 5_000)).Reason);
        Assert.Equal(R.RateLimited, validator.Apply(Fix(11, T0)).Reason);
    }
}
