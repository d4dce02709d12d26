using GameBackend.Data.Zones;
using GameBackend.Domain.Cells;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;
using GameBackend.Server.Hosting;
using GameBackend.Server.Spawning;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;

namespace GameBackend.Server.Tests;

/// <summary>
/// Issue 12, finding 5: the node's zone cache answers "zones overlapping this cell" and "is this
/// point excluded" through a spatial index, not a scan. Seeded random polygons over central Europe;
/// every answer is compared with a brute-force scan, and the work a lookup does is counted.
/// </summary>
public sealed class ZoneIndexTests
{
    private const int Zones = 100_000;
    private static readonly CellGrid Grid = new(200);

    private static WorldCache NewCache() => new(
        new ServiceCollection().BuildServiceProvider(), Options.Create(new SpawnOptions()), new GameClock(TimeProvider.System), NullLogger<WorldCache>.Instance);

    /// <summary>A star-shaped (so simple) polygon of 3–8 vertices around a random centre, 50 m to 2 km across, one in fifty up to 9 km.</summary>
    private static Polygon RandomPolygon(Random random)
    {
        var lat = 40 + (random.NextDouble() * 15);
        var lon = 5 + (random.NextDouble() * 20);
        var radius = random.Next(50) == 0 ? 0.005 + (random.NextDouble() * 0.075) : 0.0005 + (random.NextDouble() * 0.0175);
        var lonScale = 1 / Math.Cos(GeoMath.ToRadians(lat));
        var angles = Enumerable.Range(0, random.Next(3, 9)).Select(_ => random.NextDouble() * 2 * Math.PI).Order().ToArray();
        var ring = angles.Select(a =>
        {
            var r = radius * (0.5 + (random.NextDouble() * 0.5));
            return new Coordinate(lon + (r * Math.Cos(a) * lonScale), lat + (r * Math.Sin(a)));
        }).ToList();
        ring.Add(ring[0]);
        return ZoneGeometry.Factory.CreatePolygon([.. ring]);
    }

    private static CachedZone Cached(int id, Polygon area) => new(
        new SpawnZone { Id = "zone-" + id, Shape = new PolygonShape(area), SpeciesWeights = new Dictionary<string, double> { ["fox"] = 1 } },
        area.EnvelopeInternal, "Zone " + id, area);

    /// <summary>Cells to look up: most under a random zone (so most lookups hit), some anywhere.</summary>
    private static List<CellBounds> Cells(Random random, List<CachedZone> zones, int count)
    {
        var cells = new List<CellBounds>(count);
        for (var i = 0; i < count; i++)
        {
            GeoPoint point;
            if (i % 5 != 4)
            {
                var b = zones[random.Next(zones.Count)].Bounds;
                point = new GeoPoint(b.MinY + (random.NextDouble() * b.Height), b.MinX + (random.NextDouble() * b.Width));
            }
            else
            {
                point = new GeoPoint(40 + (random.NextDouble() * 15), 5 + (random.NextDouble() * 20));
            }

            cells.Add(Grid.Bounds(Grid.CellOf(point)));
        }

        return cells;
    }

    /// <summary>The brute force the cache did before: every zone's box against the cell (a plain loop, to keep 100,000 × hundreds affordable).</summary>
    private static List<CachedZone> Scan(List<CachedZone> zones, CellBounds cell)
    {
        var found = new List<CachedZone>();
        for (var i = 0; i < zones.Count; i++)
        {
            var b = zones[i].Bounds;
            if (b.MinX <= cell.East && b.MaxX >= cell.West && b.MinY <= cell.North && b.MaxY >= cell.South)
            {
                found.Add(zones[i]);
            }
        }

        return found;
    }

    [Fact]
    public void A_cell_lookup_among_100000_zones_returns_exactly_what_a_scan_returns_and_tests_only_the_indexed_candidates()
    {
        var random = new Random(20261202);
        var zones = Enumerable.Range(0, Zones).Select(i => Cached(i, RandomPolygon(random))).ToList();
        var cache = NewCache();
        cache.Load(zones, []);
        var cells = Cells(random, zones, 500);

        var before = cache.ZoneCandidatesExamined;
        var hits = 0;
        var nonEmpty = 0;
        foreach (var cell in cells)
        {
            var expected = Scan(zones, cell);
            var found = cache.ZonesOverlapping(cell);
            // The same zones in the same (load) order as the scan gave.
            Assert.Equal(expected.Select(z => z.Zone.Id), found.Select(z => z.Zone.Id));
            hits += expected.Count;
            nonEmpty += expected.Count > 0 ? 1 : 0;
        }

        Assert.True(nonEmpty >= 350, $"only {nonEmpty} of {cells.Count} lookups found a zone: the test would prove little");
        // Work done: every candidate the lookup tested was an answer. A scan tests 100,000 per lookup (50 million here).
        Assert.Equal(hits, cache.ZoneCandidatesExamined - before);
        Assert.True(hits < cells.Count * 20, $"{hits} candidates for {cells.Count} lookups");

        // A reload (what every zone create, update, delete, approval and status change ends in)
        // rebuilds the index: deleted zones are gone from every lookup, new ones are found.
        var added = Enumerable.Range(Zones, 500).Select(i => Cached(i, RandomPolygon(random))).ToList();
        var reloaded = zones.Skip(20_000).Concat(added).ToList();
        var version = cache.Version;
        cache.Load(reloaded, []);
        Assert.NotEqual(version, cache.Version);
        foreach (var cell in Cells(random, [.. zones.Take(20_000), .. added], 200))
        {
            Assert.Equal(Scan(reloaded, cell).Select(z => z.Zone.Id), cache.ZonesOverlapping(cell).Select(z => z.Zone.Id));
        }
    }

    [Fact]
    public void An_exclusion_check_among_100000_exclusion_zones_matches_a_scan_and_tests_only_the_exclusions_around_the_point()
    {
        var random = new Random(7);
        var exclusions = Enumerable.Range(0, Zones)
            .Select(i => new ExclusionZone(Guid.NewGuid(), "x" + i, RandomPolygon(random), DateTimeOffset.UnixEpoch))
            .ToList();
        var cache = NewCache();
        cache.Load([], exclusions);

        var boxes = exclusions.Select(e => e.Area.EnvelopeInternal).ToArray();
        var points = new List<GeoPoint>();
        for (var i = 0; i < 1_000; i++)
        {
            // Half inside some exclusion's box (often inside the exclusion itself), half anywhere.
            var b = exclusions[random.Next(exclusions.Count)].Area.EnvelopeInternal;
            points.Add(i % 2 == 0
                ? new GeoPoint(b.MinY + (random.NextDouble() * b.Height), b.MinX + (random.NextDouble() * b.Width))
                : new GeoPoint(40 + (random.NextDouble() * 15), 5 + (random.NextDouble() * 20)));
        }

        var before = cache.ExclusionCandidatesExamined;
        var aroundPoints = 0;
        var excluded = 0;
        foreach (var point in points)
        {
            var p = ZoneGeometry.Factory.CreatePoint(new Coordinate(point.Longitude, point.Latitude));
            // Brute force: every exclusion (the box test first only to keep this scan affordable; Covers implies it).
            var around = new List<Geometry>();
            for (var j = 0; j < boxes.Length; j++)
            {
                if (boxes[j].Covers(point.Longitude, point.Latitude))
                {
                    around.Add(exclusions[j].Area);
                }
            }

            var expected = around.Any(e => e.Covers(p));
            Assert.Equal(expected, cache.IsExcluded(point));
            aroundPoints += around.Count;
            excluded += expected ? 1 : 0;
        }

        Assert.True(excluded >= 150, $"only {excluded} of {points.Count} points were excluded: the test would prove little");
        var examined = cache.ExclusionCandidatesExamined - before;
        Assert.True(examined <= aroundPoints, $"{examined} exclusions tested, but only {aroundPoints} have a box around the points");

        // What a zone's spawner gets: every exclusion whose box meets the zone, and few others.
        var zone = RandomPolygon(random).EnvelopeInternal;
        var near = cache.ExclusionsOverlapping(zone);
        var meeting = exclusions.Where(e => e.Area.EnvelopeInternal.Intersects(zone)).Select(e => e.Area).ToList();
        Assert.Superset(new HashSet<Geometry>(meeting, ReferenceEqualityComparer.Instance), new HashSet<Geometry>(near, ReferenceEqualityComparer.Instance));
        Assert.True(near.Count < 100, $"{near.Count} exclusions handed to one zone's spawner");

        // An exclusion created on this node counts at once, before the reload confirms it.
        var spot = new GeoPoint(60.5, 30.5);
        Assert.False(cache.IsExcluded(spot));
        cache.AddExclusion(ZoneGeometry.Factory.CreatePolygon(
            [new(30.4, 60.4), new(30.6, 60.4), new(30.6, 60.6), new(30.4, 60.6), new(30.4, 60.4)]));
        Assert.True(cache.IsExcluded(spot));
        Assert.False(cache.IsExcluded(new GeoPoint(60.7, 30.5)));
    }
}
