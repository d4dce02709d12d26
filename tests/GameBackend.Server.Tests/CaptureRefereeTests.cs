using GameBackend.Contracts;
using GameBackend.Domain.Capture;
using GameBackend.Domain.Spawning;
using GameBackend.Server.Cells;
using GameBackend.Server.Creatures;

namespace GameBackend.Server.Tests;

/// <summary>The capture race's rules without a grain or a database (the races themselves are in CaptureRaceTests).</summary>
public sealed class CaptureRefereeTests
{
    private const long Now = 1_000_000;
    private static readonly Creature Target = new("c-1", "sparkmouse", "common", 48.8566, 2.3522, Now - 1_000, Now + 60_000, "cell", null);

    private static CaptureReferee NewReferee() => new(new CaptureRules(new Domain.Capture.CaptureOptions(), SpeciesCatalog.Default), remembered: 8);

    private static CaptureAttempt Throw(string attemptId, string player = "p1", double northMeters = 5, int strikes = 0) =>
        new(Target.Id, attemptId, player, Target.Latitude + northMeters / 111_320.0, Target.Longitude, strikes);

    /// <summary>A random source whose throws hit (common creatures escape now and then).</summary>
    private static Random Hitting()
    {
        for (var seed = 0; seed < 1_000; seed++)
        {
            if (NewReferee().Judge(Throw("probe"), Target, Now, new Random(seed)).Miss is null)
            {
                return new Random(seed);
            }
        }

        throw new InvalidOperationException("no seed hits");
    }

    [Fact]
    public void A_throw_out_of_range_is_too_far_with_its_distance_and_counts()
    {
        var referee = NewReferee();
        var judged = referee.Judge(Throw("a1", northMeters: 80), Target, Now, new Random(1));

        Assert.Equal(CaptureOutcomes.TooFar, judged.Miss?.Outcome);
        Assert.InRange(judged.DistanceMeters, 79.5, 80.5);
        Assert.Equal(1, judged.Throws);
        Assert.Equal(2, referee.Judge(Throw("a2", northMeters: 80), Target, Now, new Random(1)).Throws);
    }

    [Fact]
    public void A_player_with_too_many_strikes_is_rejected_and_an_expired_creature_is_expired()
    {
        var referee = NewReferee();
        Assert.Equal(CaptureOutcomes.Rejected, referee.Judge(Throw("a1", strikes: 3), Target, Now, new Random(1)).Miss?.Outcome);
        Assert.Equal(CaptureOutcomes.Expired, referee.Judge(Throw("a2"), Target, Target.ExpiresAtMs, new Random(1)).Miss?.Outcome);
    }

    [Fact]
    public void A_hit_has_no_miss_and_the_winner_decides_every_later_answer()
    {
        var referee = NewReferee();
        var judged = referee.Judge(Throw("a1"), Target, Now, Hitting());
        Assert.Null(judged.Miss);

        Assert.Equal(CaptureOutcomes.Captured, CaptureReferee.Decided("p1", "p1", Now).Outcome);
        var lost = CaptureReferee.Decided("p2", "p1", Now);
        Assert.Equal((CaptureOutcomes.AlreadyCaptured, "p1", Now), (lost.Outcome, lost.WinnerPlayerId, lost.CapturedAtMs));
    }

    [Fact]
    public void An_attempt_id_keeps_its_first_answer_for_the_same_creature_only()
    {
        var referee = NewReferee();
        var first = new CaptureVerdict(CaptureOutcomes.Escaped, 5, null, null);
        referee.Answered(Throw("a1"), first);

        Assert.True(referee.TryEarlier(Throw("a1"), out var again));
        Assert.Same(first, again);
        Assert.False(referee.TryEarlier(Throw("a1") with { CreatureId = "c-2" }, out _));
        Assert.False(referee.TryEarlier(Throw("a2"), out _));
    }

    [Fact]
    public void A_creature_that_left_gets_a_clear_answer_and_a_committing_one_is_known()
    {
        var referee = NewReferee();
        referee.Left("expired", expired: true, captured: false);
        referee.Left("excluded", expired: false, captured: false);
        referee.Left("captured", expired: false, captured: true);

        Assert.True(referee.TryGone("expired", out var expired));
        Assert.Equal(CaptureOutcomes.Expired, expired.Outcome);
        Assert.True(referee.TryGone("excluded", out var excluded));
        Assert.Equal(CaptureOutcomes.NotFound, excluded.Outcome);
        Assert.False(referee.TryGone("captured", out _)); // the capture path records who won instead

        var commit = new TaskCompletionSource<string>();
        referee.Committing("c-1", commit.Task, Now);
        Assert.True(referee.IsCommitting("c-1"));
        Assert.True(referee.TryCommitting("c-1", out var pending, out var atMs));
        Assert.Same(commit.Task, pending);
        Assert.Equal(Now, atMs);
        referee.Committed("c-1");
        Assert.False(referee.IsCommitting("c-1"));
    }
}
