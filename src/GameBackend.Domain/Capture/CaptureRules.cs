using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;

namespace GameBackend.Domain.Capture;

/// <summary>The result of one catch attempt, in the order the checks run.</summary>
public enum CaptureOutcome
{
    /// <summary>The player has too many movement strikes to catch anything.</summary>
    TooManyStrikes,

    /// <summary>The player has no accepted position yet.</summary>
    NoPosition,

    /// <summary>The creature has despawned.</summary>
    Expired,

    /// <summary>The player's last accepted position is beyond encounter range.</summary>
    OutOfRange,

    /// <summary>The roll failed; the creature is still there.</summary>
    Escaped,

    /// <summary>Caught.</summary>
    Caught,
}

/// <summary>Tunables of <see cref="CaptureRules"/>.</summary>
public sealed record CaptureOptions
{
    /// <summary>How close the player's last accepted position must be to the creature, metres (default 50).</summary>
    public double EncounterRangeMeters { get; init; } = 50;

    /// <summary>A player with at least this many movement strikes cannot catch (default 3).</summary>
    public int StrikeThreshold { get; init; } = 3;
}

/// <summary>
/// Whether a catch attempt succeeds. Only decides: the single-winner commit of a creature that two
/// players catch at once belongs to the caller.
/// </summary>
public sealed class CaptureRules(CaptureOptions options, SpeciesCatalog catalog)
{
    public CaptureOptions Options { get; } = options;

    /// <param name="playerPosition">The player's last accepted position (never the raw request's).</param>
    /// <param name="playerStrikes">The player's strikes now, after decay.</param>
    /// <param name="now">Server time.</param>
    public CaptureOutcome Attempt(
        GeoPoint? playerPosition,
        int playerStrikes,
        GeoPoint creaturePosition,
        Rarity rarity,
        DateTimeOffset expiresAt,
        DateTimeOffset now,
        Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (playerStrikes >= Options.StrikeThreshold)
        {
            return CaptureOutcome.TooManyStrikes;
        }

        if (playerPosition is not { } position)
        {
            return CaptureOutcome.NoPosition;
        }

        if (now >= expiresAt)
        {
            return CaptureOutcome.Expired;
        }

        if (!(GeoMath.DistanceMeters(position, creaturePosition) <= Options.EncounterRangeMeters))
        {
            return CaptureOutcome.OutOfRange;
        }

        return random.NextDouble() < catalog.CatchProbability(rarity) ? CaptureOutcome.Caught : CaptureOutcome.Escaped;
    }
}
