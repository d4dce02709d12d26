using GameBackend.Domain.Geo;

namespace GameBackend.Domain.Movement;

/// <summary>The verdict on one fix. <see cref="Reason"/> is a wire reason string when rejected.</summary>
public readonly record struct FixVerdict(bool Accepted, string? Reason, double? ImpliedSpeed = null)
{
    public static readonly FixVerdict Accept = new(true, null);

    public static FixVerdict Reject(string reason, double? impliedSpeed = null) => new(false, reason, impliedSpeed);
}

/// <summary>
/// A player's movement state and the rules that guard it. Pure and single-threaded: the player
/// grain owns one instance, so no locking. Time is always the server's receive time
/// (<see cref="LocationFix.ServerTimeMs"/>); device time is recorded but never trusted.
///
/// Order of checks: rate limit, then shape (finite numbers, ranges), then sequence, then speed.
/// A rejected fix changes nothing but the rate-limit bucket and, for implausible speed, the strikes.
/// </summary>
public sealed class MovementValidator(MovementRules rules)
{
    private double _tokens = rules.RateBurst;
    private long _tokensAtMs = long.MinValue;
    private int _strikes;
    private long _strikesAtMs;

    public MovementRules Rules { get; } = rules;

    /// <summary>The last accepted fix, if any.</summary>
    public LocationFix? Last { get; private set; }

    /// <summary>Strikes at <paramref name="nowMs"/> after decay.</summary>
    public int StrikesAt(long nowMs)
    {
        if (_strikes == 0)
        {
            return 0;
        }

        var decayMs = (long)Rules.StrikeDecay.TotalMilliseconds;
        var periods = decayMs <= 0 ? long.MaxValue : Math.Max(0, nowMs - _strikesAtMs) / decayMs;
        return (int)Math.Max(0, _strikes - Math.Min(periods, int.MaxValue));
    }

    public FixVerdict Apply(in LocationFix fix)
    {
        // The very fix accepted last, again (same sequence, server time and reading): a call repeated
        // because its answer was lost with a departing node. Idempotent: accepted, nothing changes.
        if (Last is { } previous && fix == previous)
        {
            return FixVerdict.Accept;
        }

        var now = fix.ServerTimeMs;
        if (!TakeRateToken(now))
        {
            return FixVerdict.Reject(Reasons.RateLimited);
        }

        var shape = CheckShape(fix, now, Rules.MaxFutureSkew);
        if (shape is not null)
        {
            return FixVerdict.Reject(shape);
        }

        if (Last is { } last)
        {
            if (fix.Seq <= last.Seq)
            {
                return FixVerdict.Reject(Reasons.StaleSequence);
            }

            var distance = GeoMath.DistanceMeters(
                new GeoPoint(last.Latitude, last.Longitude), new GeoPoint(fix.Latitude, fix.Longitude));
            var seconds = Math.Max(Rules.MinIntervalSeconds, (now - last.ServerTimeMs) / 1000.0);
            var allowed = (Rules.MaxSpeedMetersPerSecond * seconds) + Rules.JitterAllowanceMeters;
            if (distance > allowed)
            {
                AddStrike(now);
                return FixVerdict.Reject(Reasons.ImplausibleSpeed, distance / seconds);
            }
        }

        Last = fix;
        return FixVerdict.Accept;
    }

    /// <summary>Shape checks that need no state. Returns the reason, or null when the fix is well formed.</summary>
    public static string? CheckShape(in LocationFix fix, long nowMs, TimeSpan maxFutureSkew)
    {
        if (!double.IsFinite(fix.Latitude) || !double.IsFinite(fix.Longitude) ||
            !IsFiniteOrNull(fix.Accuracy) || !IsFiniteOrNull(fix.Heading) || !IsFiniteOrNull(fix.Speed) ||
            !IsFiniteOrNull(fix.Course) || !IsFiniteOrNull(fix.AccelX) || !IsFiniteOrNull(fix.AccelY) ||
            !IsFiniteOrNull(fix.AccelZ))
        {
            return Reasons.NotFinite;
        }

        if (fix.Latitude is < -90 or > 90)
        {
            return Reasons.LatitudeOutOfRange;
        }

        if (fix.Longitude is < -180 or > 180)
        {
            return Reasons.LongitudeOutOfRange;
        }

        if (fix.Heading is < 0 or >= 360)
        {
            return Reasons.HeadingOutOfRange;
        }

        if (fix.Course is < 0 or >= 360)
        {
            return Reasons.CourseOutOfRange;
        }

        if (fix.Speed is < 0)
        {
            return Reasons.NegativeSpeed;
        }

        if (fix.Accuracy is < 0)
        {
            return Reasons.NegativeAccuracy;
        }

        if (fix.DeviceTimeMs > nowMs + (long)maxFutureSkew.TotalMilliseconds)
        {
            return Reasons.TimestampInFuture;
        }

        return null;
    }

    private static bool IsFiniteOrNull(double? value) => value is not { } v || double.IsFinite(v);

    private bool TakeRateToken(long nowMs)
    {
        if (_tokensAtMs == long.MinValue)
        {
            _tokensAtMs = nowMs;
        }
        else if (nowMs > _tokensAtMs)
        {
            _tokens = Math.Min(Rules.RateBurst, _tokens + ((nowMs - _tokensAtMs) / 1000.0 * Rules.MaxUpdatesPerSecond));
            _tokensAtMs = nowMs;
        }

        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }

    private void AddStrike(long nowMs)
    {
        _strikes = StrikesAt(nowMs) + 1;
        _strikesAtMs = nowMs;
    }

    /// <summary>
    /// Rejection reasons, equal to the wire strings in GameBackend.Contracts.RejectReasons
    /// (a test pins the two together; the domain does not reference the wire contracts).
    /// </summary>
    public static class Reasons
    {
        public const string NotFinite = "notFinite";
        public const string LatitudeOutOfRange = "latitudeOutOfRange";
        public const string LongitudeOutOfRange = "longitudeOutOfRange";
        public const string HeadingOutOfRange = "headingOutOfRange";
        public const string CourseOutOfRange = "courseOutOfRange";
        public const string NegativeSpeed = "negativeSpeed";
        public const string NegativeAccuracy = "negativeAccuracy";
        public const string TimestampInFuture = "timestampInFuture";
        public const string StaleSequence = "staleSequence";
        public const string ImplausibleSpeed = "implausibleSpeed";
        public const string RateLimited = "rateLimited";
    }
}
