using GameBackend.Contracts;
using GameBackend.Domain.Capture;
using GameBackend.Domain.Collections;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;
using GameBackend.Server.Creatures;

namespace GameBackend.Server.Cells;

/// <summary>What the referee made of one throw at a creature of the cell.</summary>
/// <param name="Miss">The answer when the throw does not win; null for a hit, which the cell commits.</param>
/// <param name="Throws">Throws at this creature so far, this one included.</param>
internal readonly record struct Throw(CaptureVerdict? Miss, double DistanceMeters, int Throws);

/// <summary>
/// The rules of a capture race in one cell: range and luck (the domain's <see cref="CaptureRules"/>),
/// one answer per attempt id however often it is repeated, the same answer for every throw after the
/// winner's, and throws that arrive while the winner's row commits waiting for that commit. No
/// messaging and no storage: the cell grain commits the winner, despawns and publishes.
/// </summary>
internal sealed class CaptureReferee(CaptureRules rules, int remembered)
{
    public static readonly CaptureVerdict NotFound = new(CaptureOutcomes.NotFound, null, null, null);

    private readonly BoundedMemo<(string CreatureId, CaptureVerdict Verdict)> _attempts = new(remembered);
    // Answers for creatures that left the cell recently (captured, expired, excluded).
    private readonly BoundedMemo<CaptureVerdict> _gone = new(remembered);
    private readonly Dictionary<string, int> _throws = new(StringComparer.Ordinal);
    // Captures whose winning row is being committed: later throws at the creature take their answer
    // from the commit (the cell's TryCapture interleaves, so they do not queue behind it).
    private readonly Dictionary<string, (Task<string> Winner, long AtMs)> _committing = new(StringComparer.Ordinal);

    /// <summary>The first answer to this attempt id at this creature, when there was one.</summary>
    public bool TryEarlier(CaptureAttempt attempt, out CaptureVerdict verdict)
    {
        if (_attempts.TryGet(attempt.AttemptId, out var earlier) && earlier.CreatureId == attempt.CreatureId)
        {
            verdict = earlier.Verdict;
            return true;
        }

        verdict = NotFound;
        return false;
    }

    public void Answered(CaptureAttempt attempt, CaptureVerdict verdict) => _attempts.TryRemember(attempt.AttemptId, (attempt.CreatureId, verdict));

    public bool TryGone(string creatureId, out CaptureVerdict verdict) => _gone.TryGet(creatureId, out verdict);

    /// <summary>The answer to <paramref name="playerId"/> once <paramref name="winner"/> is known to have won.</summary>
    public static CaptureVerdict Decided(string playerId, string winner, long atMs) =>
        new(winner == playerId ? CaptureOutcomes.Captured : CaptureOutcomes.AlreadyCaptured, null, winner, atMs);

    public bool TryCommitting(string creatureId, out Task<string> winner, out long atMs)
    {
        var found = _committing.TryGetValue(creatureId, out var pending);
        (winner, atMs) = found ? pending : (Task.FromResult(""), 0);
        return found;
    }

    public bool IsCommitting(string creatureId) => _committing.ContainsKey(creatureId);

    /// <summary>Judges a throw at a creature that is in the cell and not being committed; counts it.</summary>
    public Throw Judge(CaptureAttempt attempt, Creature creature, long nowMs, Random random)
    {
        var throws = _throws[creature.Id] = _throws.GetValueOrDefault(creature.Id) + 1;
        var from = new GeoPoint(attempt.Latitude, attempt.Longitude);
        var distance = Math.Round(GeoMath.DistanceMeters(from, creature.Position), 1);
        var rarity = RarityNames.TryParse(creature.Rarity, out var r) ? r : Rarity.Common;
        var outcome = rules.Attempt(from, attempt.Strikes, creature.Position, rarity,
            DateTimeOffset.FromUnixTimeMilliseconds(creature.ExpiresAtMs), DateTimeOffset.FromUnixTimeMilliseconds(nowMs), random);
        var miss = outcome switch
        {
            CaptureOutcome.TooManyStrikes or CaptureOutcome.NoPosition => new CaptureVerdict(CaptureOutcomes.Rejected, null, null, null),
            CaptureOutcome.Expired => new CaptureVerdict(CaptureOutcomes.Expired, null, null, null),
            CaptureOutcome.OutOfRange => new CaptureVerdict(CaptureOutcomes.TooFar, distance, null, null),
            CaptureOutcome.Escaped => new CaptureVerdict(CaptureOutcomes.Escaped, distance, null, null),
            _ => null,
        };
        return new Throw(miss, distance, throws);
    }

    public void Committing(string creatureId, Task<string> winner, long atMs) => _committing[creatureId] = (winner, atMs);

    public void Committed(string creatureId) => _committing.Remove(creatureId);

    /// <summary>The creature was captured: every later throw at it is told who won.</summary>
    public void Captured(string creatureId, CaptureVerdict lost) => _gone.TryRemember(creatureId, lost);

    /// <summary>The creature left the cell (captured, expired or excluded): its throw count goes, and a throw after it gets a clear answer.</summary>
    public void Left(string creatureId, bool expired, bool captured)
    {
        _throws.Remove(creatureId);
        if (!captured)
        {
            _gone.TryRemember(creatureId, new CaptureVerdict(expired ? CaptureOutcomes.Expired : CaptureOutcomes.NotFound, null, null, null));
        }
    }
}
