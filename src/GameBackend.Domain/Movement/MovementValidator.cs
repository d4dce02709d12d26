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
///
/// Speed is judged over a sliding window (<see cref="MovementRules.PlausibilityWindow"/>): the new
/// fix must be reachable from the last trusted position and from every position the window keeps
/// (one per second at most) at the speed limit, each pair allowed its elapsed time (at least
/// <see cref="MovementRules.MinIntervalSeconds"/>) plus one GPS allowance. So the allowance of a
/// pair is granted once per window, not once per fix, and no cadence adds it up.
/// </summary>
public sealed class MovementValidator
{
    private readonly TrustedPosition[] _window;
    private readonly long _keepEveryMs;
    private readonly long _windowMs;
    private int _windowStart;
    private int _windowCount;
    private double _tokens;
    private long _tokensAtMs = long.MinValue;
    private int _strikes;
    private long _strikesAtMs;
    private long _bannedUntilMs;
    private TrustedPosition? _trusted;

    public MovementValidator(MovementRules rules)
    {
        Rules = rules;
        _tokens = rules.RateBurst;
        _windowMs = Math.Max(0, (long)rules.PlausibilityWindow.TotalMilliseconds);
        // One kept position per second (or per 1/64 of a long window) bounds the work per fix to a
        // few dozen distances; a position skipped is never more than that far from a kept one.
        _keepEveryMs = Math.Max(1_000, _windowMs / 64);
        _window = new TrustedPosition[(int)(_windowMs / _keepEveryMs) + 2];
    }

    public MovementRules Rules { get; }

    /// <summary>The last accepted fix of this activation, if any.</summary>
    public LocationFix? Last { get; private set; }

    /// <summary>The position the next fix is judged from: the last accepted fix, or one restored from storage.</summary>
    public TrustedPosition? Trusted => _trusted;

    /// <summary>True while the player is banned from capturing.</summary>
    public bool IsBannedAt(long nowMs) => _bannedUntilMs > nowMs;

    /// <summary>The state to persist (see <see cref="FairPlayState"/>).</summary>
    public FairPlayState Snapshot() => new(_strikes, _strikesAtMs, _bannedUntilMs, _trusted);

    /// <summary>
    /// Takes over persisted state at activation, before any fix. A trusted position older than
    /// <see cref="MovementRules.TrustedPositionLifetime"/> at <paramref name="nowMs"/> is dropped.
    /// The sequence is not restored: it belongs to the connection that sent it, and a client may
    /// start counting again; the position is what a teleport must be judged against.
    /// </summary>
    public void Restore(in FairPlayState state, long nowMs)
    {
        _strikes = state.Strikes;
        _strikesAtMs = state.StrikesAtMs;
        _bannedUntilMs = state.BannedUntilMs;
        _trusted = state.Trusted is { } t && nowMs - t.ServerTimeMs <= (long)Rules.TrustedPositionLifetime.TotalMilliseconds
            ? t
            : null;
    }

    /// <summary>Strikes at <paramref name="nowMs"/> after decay.</summary>
    public int StrikesAt(long nowMs) =>
        FairPlayState.DecayedStrikes(_strikes, _strikesAtMs, nowMs, (long)Rules.StrikeDecay.TotalMilliseconds);

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
        }

        if (ImpliedSpeedOverLimit(fix, now) is { } implied)
        {
            AddStrike(now);
            return FixVerdict.Reject(Reasons.ImplausibleSpeed, implied);
        }

        Last = fix;
        Keep(TrustedPosition.Of(fix));
        return FixVerdict.Accept;
    }

    /// <summary>
    /// The highest implied speed over the pairs (trusted position or window position, new fix) that
    /// break the limit, or null when none does.
    /// </summary>
    private double? ImpliedSpeedOverLimit(in LocationFix fix, long nowMs)
    {
        double? worst = null;
        var here = new GeoPoint(fix.Latitude, fix.Longitude);
        if (_trusted is { } trusted)
        {
            Check(trusted, here, fix.Accuracy, nowMs, ref worst);
        }

        for (var i = 0; i < _windowCount; i++)
        {
            var kept = _window[(_windowStart + i) % _window.Length];
            if (nowMs - kept.ServerTimeMs <= _windowMs)
            {
                Check(kept, here, fix.Accuracy, nowMs, ref worst);
            }
        }

        return worst;
    }

    private void Check(in TrustedPosition from, GeoPoint to, double? accuracy, long nowMs, ref double? worst)
    {
        var distance = GeoMath.DistanceMeters(new GeoPoint(from.Latitude, from.Longitude), to);
        var seconds = Math.Max(Rules.MinIntervalSeconds, (nowMs - from.ServerTimeMs) / 1000.0);
        if (distance > (Rules.MaxSpeedMetersPerSecond * seconds) + Allowance(from.Accuracy, accuracy))
        {
            // Seconds can be 0 only when MinIntervalSeconds is 0 and the fixes share a millisecond.
            var implied = distance / Math.Max(seconds, 0.001);
            if (worst is not { } w || implied > w)
            {
                worst = implied;
            }
        }
    }

    /// <summary>
    /// Distance a pair of fixes may differ by beyond the speed limit: the jitter allowance, or the
    /// two reported accuracy radii together when they are larger (each fix may be that far from
    /// where the phone really was), capped because the device reports them.
    /// </summary>
    public double Allowance(double? accuracyA, double? accuracyB) =>
        Math.Max(Rules.JitterAllowanceMeters, Math.Min((accuracyA ?? 0) + (accuracyB ?? 0), Rules.MaxAccuracyAllowanceMeters));

    private void Keep(in TrustedPosition position)
    {
        _trusted = position;
        if (_windowMs == 0)
        {
            return;
        }

        if (_windowCount > 0 && position.ServerTimeMs - _window[(_windowStart + _windowCount - 1) % _window.Length].ServerTimeMs < _keepEveryMs)
        {
            return;
        }

        // Oldest out first: expired ones, then (only if still full) the oldest live one.
        while (_windowCount > 0 && position.ServerTimeMs - _window[_windowStart].ServerTimeMs > _windowMs)
        {
            _windowStart = (_windowStart + 1) % _window.Length;
            _windowCount--;
        }

        if (_windowCount == _window.Length)
        {
            _windowStart = (_windowStart + 1) % _window.Length;
            _windowCount--;
        }

        _window[(_windowStart + _windowCount) % _window.Length] = position;
        _windowCount++;
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
        if (Rules.BanStrikes > 0 && _strikes >= Rules.BanStrikes && !IsBannedAt(nowMs))
        {
            _bannedUntilMs = nowMs + (long)Rules.BanDuration.TotalMilliseconds;
        }
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
