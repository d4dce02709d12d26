namespace GameBackend.Domain.Movement;

/// <summary>A position the speed check trusts: where an accepted fix put the player, by server time.</summary>
/// <param name="Accuracy">The device's reported accuracy radius, metres (null = not reported).</param>
public readonly record struct TrustedPosition(long ServerTimeMs, double Latitude, double Longitude, double? Accuracy)
{
    public static TrustedPosition Of(in LocationFix fix) => new(fix.ServerTimeMs, fix.Latitude, fix.Longitude, fix.Accuracy);
}

/// <summary>
/// The part of a player's anti-cheat state that must outlive the grain holding it (idle collection,
/// a node's death): strikes, the ban, and the last trusted position. Everything else (rate bucket,
/// sequence, the window's older fixes) is short-lived and starts afresh on activation.
/// </summary>
/// <param name="Strikes">Strikes as counted at <paramref name="StrikesAtMs"/> (decay is applied on read).</param>
/// <param name="BannedUntilMs">Server time the capture ban ends; 0 = not banned.</param>
public readonly record struct FairPlayState(int Strikes, long StrikesAtMs, long BannedUntilMs, TrustedPosition? Trusted)
{
    public static readonly FairPlayState Empty = new(0, 0, 0, null);

    /// <summary>Strikes at <paramref name="nowMs"/>: one strike fades per whole <paramref name="decayMs"/>
    /// since <see cref="StrikesAtMs"/> (a decay of 0 or less: none stay).</summary>
    public int StrikesAt(long nowMs, long decayMs) => DecayedStrikes(Strikes, StrikesAtMs, nowMs, decayMs);

    /// <summary>The decay rule, shared by the movement validator and the stores that list strikes.</summary>
    public static int DecayedStrikes(int strikes, long strikesAtMs, long nowMs, long decayMs)
    {
        if (strikes == 0)
        {
            return 0;
        }

        var periods = decayMs <= 0 ? long.MaxValue : Math.Max(0, nowMs - strikesAtMs) / decayMs;
        return (int)Math.Max(0, strikes - Math.Min(periods, int.MaxValue));
    }
}
