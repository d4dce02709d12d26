using GameBackend.Data.Analytics;
using GameBackend.Data.History;

namespace GameBackend.Data.Tests.Analytics;

public sealed class ZoneVisitTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid ZoneA = Guid.NewGuid();
    private static readonly Guid ZoneB = Guid.NewGuid();

    private readonly ZoneVisitTracker _tracker = new(TimeSpan.FromMinutes(5));
    private readonly List<ZoneVisitEvent> _events = [];

    [Fact]
    public void Entering_and_leaving_zones_emits_enter_then_exit()
    {
        _tracker.Observe("p", T0, [], _events);
        _tracker.Observe("p", T0.AddSeconds(10), [ZoneA], _events);
        _tracker.Observe("p", T0.AddSeconds(20), [ZoneA, ZoneB], _events);
        _tracker.Observe("p", T0.AddSeconds(30), [ZoneB], _events);
        _tracker.Observe("p", T0.AddSeconds(40), [], _events);

        Assert.Equal(
            [
                new ZoneVisitEvent(ZoneA, "p", T0.AddSeconds(10), T0.AddSeconds(10), null),
                new ZoneVisitEvent(ZoneB, "p", T0.AddSeconds(20), T0.AddSeconds(20), null),
                new ZoneVisitEvent(ZoneA, "p", T0.AddSeconds(10), T0.AddSeconds(30), T0.AddSeconds(30)),
                new ZoneVisitEvent(ZoneB, "p", T0.AddSeconds(20), T0.AddSeconds(40), T0.AddSeconds(40)),
            ],
            _events);
        Assert.Equal(0, _tracker.OpenVisits);
    }

    [Fact]
    public void A_silent_player_is_closed_at_the_last_sighting()
    {
        _tracker.Observe("p", T0, [ZoneA], _events);
        _tracker.Observe("p", T0.AddMinutes(1), [ZoneA], _events);
        _tracker.Sweep(T0.AddMinutes(5), _events);
        Assert.Single(_events); // 4 min of silence: still inside

        _tracker.Sweep(T0.AddMinutes(6).AddSeconds(1), _events);

        Assert.Equal(new ZoneVisitEvent(ZoneA, "p", T0, T0.AddMinutes(1), T0.AddMinutes(1)), _events[^1]);
        Assert.Equal(0, _tracker.OpenVisits);
    }

    [Fact]
    public void Returning_after_a_long_silence_is_a_new_visit_and_stale_fixes_are_ignored()
    {
        _tracker.Observe("p", T0, [ZoneA], _events);
        _tracker.Observe("p", T0.AddMinutes(20), [ZoneA], _events);
        _tracker.Observe("p", T0.AddMinutes(19), [], _events); // out of order: ignored

        Assert.Equal(
            [
                new ZoneVisitEvent(ZoneA, "p", T0, T0, null),
                new ZoneVisitEvent(ZoneA, "p", T0, T0, T0),
                new ZoneVisitEvent(ZoneA, "p", T0.AddMinutes(20), T0.AddMinutes(20), null),
            ],
            _events);
        _tracker.Forget("p", _events);
        Assert.Equal(new ZoneVisitEvent(ZoneA, "p", T0.AddMinutes(20), T0.AddMinutes(20), T0.AddMinutes(20)), _events[^1]);
    }

    [Fact]
    public void An_open_visit_is_written_again_once_a_refresh_interval_while_the_player_stays_inside()
    {
        var tracker = new ZoneVisitTracker(TimeSpan.FromMinutes(5), refreshInterval: TimeSpan.FromMinutes(1));
        foreach (var seconds in new[] { 0, 30, 59, 60, 90, 125 })
        {
            tracker.Observe("p", T0.AddSeconds(seconds), [ZoneA], _events);
        }

        tracker.Observe("p", T0.AddSeconds(130), [], _events);

        Assert.Equal(
            [
                new ZoneVisitEvent(ZoneA, "p", T0, T0, null),
                new ZoneVisitEvent(ZoneA, "p", T0, T0.AddSeconds(60), null),
                new ZoneVisitEvent(ZoneA, "p", T0, T0.AddSeconds(125), null),
                new ZoneVisitEvent(ZoneA, "p", T0, T0.AddSeconds(130), T0.AddSeconds(130)),
            ],
            _events);
    }
}
