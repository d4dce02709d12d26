using GameBackend.Data.Analytics;
using GameBackend.Data.History;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;
using GameBackend.Server.Hosting;
using GameBackend.Server.Spawning;
using NetTopologySuite.Geometries;

namespace GameBackend.Server.History;

/// <summary>
/// Sponsor-zone visits (the Tile38 enter/exit model): each accepted fix inside a zone's cell is
/// tested against the zones there; enters and exits go to history. Players who go silent are
/// closed at their last sighting by a periodic sweep. Only fixes in cells that overlap a zone pay
/// anything beyond a count check.
/// </summary>
public sealed class ZoneVisits(ZoneVisitTracker tracker, IGameHistory history)
{
    [ThreadStatic]
    private static List<ZoneVisitEvent>? t_events;

    [ThreadStatic]
    private static List<Guid>? t_inside;

    public void Observe(string playerId, GeoPoint position, DateTimeOffset at, IReadOnlyList<CachedZone> zonesHere)
    {
        var inside = t_inside ??= [];
        inside.Clear();
        foreach (var zone in zonesHere)
        {
            if (Contains(zone.Zone.Shape, position) && Guid.TryParse(zone.Zone.Id, out var id))
            {
                inside.Add(id);
            }
        }

        var events = t_events ??= [];
        events.Clear();
        tracker.Observe(playerId, at, inside, events);
        Write(events);
    }

    /// <summary>Closes visits of players silent for longer than the tracker's timeout.</summary>
    public void Sweep(DateTimeOffset now)
    {
        var events = new List<ZoneVisitEvent>();
        tracker.Sweep(now, events);
        Write(events);
    }

    private void Write(List<ZoneVisitEvent> events)
    {
        foreach (var e in events)
        {
            history.ZoneVisit(e);
        }
    }

    private static bool Contains(ZoneShape shape, GeoPoint point) => shape switch
    {
        CircleShape c => GeoMath.DistanceMeters(c.Center, point) <= c.RadiusMeters,
        PolygonShape p => p.Geometry.Covers(new Point(point.Longitude, point.Latitude)),
        _ => false,
    };
}

/// <summary>Runs the zone-visit silence sweep.</summary>
internal sealed class ZoneVisitSweeper(ZoneVisits visits, GameClock clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            visits.Sweep(clock.UtcNow);
        }
    }
}
