using GameBackend.Contracts;
using GameBackend.Domain.Geo;
using GameBackend.Server.Cells;
using GameBackend.Server.Creatures;
using GameBackend.Server.Players;

namespace GameBackend.Server.Tests;

/// <summary>The view's rules without a grain: what is near, when the nearby set (and its version) changes, answers for vanished creatures.</summary>
public sealed class PlayerViewTests
{
    private static readonly GeoPoint Here = new(48.8566, 2.3522);
    private const long Now = 1_000_000;

    private static Creature At(string id, double northMeters, long expiresAtMs = Now + 60_000) =>
        new(id, "sparkmouse", "common", Here.Latitude + northMeters / 111_320.0, Here.Longitude, Now - 1_000, expiresAtMs, "c1", null);

    private static (PlayerView View, CellReplica Replica) ViewWith(params Creature[] creatures)
    {
        var view = new PlayerView(visibilityRadiusMeters: 200);
        var replica = new CellReplica("c1");
        replica.Seed([.. creatures], reset: false);
        view.Set("c1", CellInterest.Present, replica);
        view.Commit();
        return (view, replica);
    }

    [Fact]
    public void Only_creatures_alive_and_within_the_radius_are_near_nearest_first()
    {
        var (view, _) = ViewWith(At("far", 500), At("near", 10), At("mid", 100), At("expired", 5, expiresAtMs: Now));

        Assert.True(view.Look(Here, Now));
        var list = view.NearbyViews(Here);
        Assert.Equal(["near", "mid"], list.Select(n => n.Creature.Id));
        Assert.InRange(list[0].DistanceMeters, 9.5, 10.5);
        Assert.InRange(list[0].BearingDegrees, -0.5, 0.5); // due north
    }

    [Fact]
    public void The_nearby_version_moves_only_when_the_set_changes()
    {
        var (view, replica) = ViewWith(At("a", 10));
        view.Look(Here, Now);
        var first = view.NearbyVersion;

        Assert.False(view.Look(new GeoPoint(Here.Latitude + 0.00001, Here.Longitude), Now + 1_000)); // moved ~1 m, same set
        Assert.Equal(first, view.NearbyVersion);

        replica.Seed([At("a", 10), At("b", 20)], reset: false);
        Assert.True(view.Look(Here, Now + 2_000));
        Assert.Equal(first + 1, view.NearbyVersion);
    }

    [Fact]
    public void A_query_around_a_point_does_not_change_the_nearby_set()
    {
        var (view, _) = ViewWith(At("a", 10));
        view.Look(Here, Now);
        var version = view.NearbyVersion;

        Assert.Empty(view.Around(new GeoPoint(Here.Latitude + 0.01, Here.Longitude), Now)); // 1.1 km away
        Assert.Equal(version, view.NearbyVersion);
        Assert.Single(view.Nearby);
    }

    [Fact]
    public void Clearing_the_view_returns_its_replicas_and_publishes_a_new_version()
    {
        var (view, replica) = ViewWith(At("a", 10));
        var version = view.Version;

        Assert.Equal([replica], view.Clear());
        Assert.Empty(view.Cells);
        Assert.Equal(version + 1, view.Version);
        Assert.Null(view.Find("a"));
        Assert.False(view.TryGone("a", out _));
    }
}
