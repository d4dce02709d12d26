using GameBackend.Domain.Cells;
using GameBackend.Server.Cells;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GameBackend.Server.Spawning;

/// <inheritdoc cref="IWorldChanges"/>
internal sealed partial class WorldChanges(WorldCache cache, CellGrid grid, IGrainFactory grains, ILogger<WorldChanges> logger) : IWorldChanges
{
    /// <summary>
    /// Beyond this many cells an exclusion's immediate sweep stops; the rest of its area is cleared
    /// by each active cell's next tick (cells check exclusions on every tick), which bounds the
    /// cost of a very large exclusion zone.
    /// </summary>
    private const int MaxCellsSweptAtOnce = 2_000;

    public Task SponsorZonesChangedAsync(CancellationToken cancellationToken = default) => cache.ReloadAsync(cancellationToken);

    public async Task ExclusionZoneCreatedAsync(Guid exclusionZoneId, Geometry area, CancellationToken cancellationToken = default)
    {
        cache.AddExclusion(area);
        var wkb = new WKBWriter().Write(area);
        var cells = CellsCovering(area.EnvelopeInternal).Take(MaxCellsSweptAtOnce + 1).ToList();
        if (cells.Count > MaxCellsSweptAtOnce)
        {
            LogLargeExclusion(logger, exclusionZoneId, MaxCellsSweptAtOnce);
            cells.RemoveAt(cells.Count - 1);
        }

        await Task.WhenAll(cells.Select(c => grains.GetGrain<ICellGrain>(c.ToString()).Exclude(wkb)));
        await cache.ReloadAsync(cancellationToken);
    }

    public Task ExclusionZoneDeletedAsync(Guid exclusionZoneId, CancellationToken cancellationToken = default) =>
        cache.ReloadAsync(cancellationToken);

    private IEnumerable<CellId> CellsCovering(Envelope envelope)
    {
        // Walk rows by the grid's own lookups: one probe per row, then every column the box spans.
        var seen = new HashSet<CellId>();
        var stepDegrees = grid.SizeMeters / Domain.Geo.GeoMath.MetersPerDegree / 2;
        for (var lat = envelope.MinY; lat <= envelope.MaxY + stepDegrees; lat += stepDegrees)
        {
            var clampedLat = Math.Min(lat, envelope.MaxY);
            var west = grid.CellOf(new Domain.Geo.GeoPoint(clampedLat, envelope.MinX));
            var east = grid.CellOf(new Domain.Geo.GeoPoint(clampedLat, envelope.MaxX));
            for (var col = west.Column; col <= east.Column; col++)
            {
                var cell = west with { Column = col };
                if (seen.Add(cell))
                {
                    yield return cell;
                }
            }
        }
    }

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Exclusion zone {ZoneId} spans more than {Max} cells; the rest is cleared by cell ticks")]
    private static partial void LogLargeExclusion(ILogger logger, Guid zoneId, int max);
}
