using System.Text.Json;
using GameBackend.Data.Zones;
using GameBackend.Domain.Cells;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;
using GameBackend.Server.Hosting;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace GameBackend.Server.Spawning;

/// <summary>A sponsor zone as the spawn engine uses it, with its bounding box for cell lookups.
/// Zones of every status are cached (visits to a paused zone still count); only an
/// <see cref="Data.Billing.ZoneStatus.Active"/> one spawns.</summary>
public sealed record CachedZone(SpawnZone Zone, Envelope Bounds, string Name, Geometry Area, string Status = Data.Billing.ZoneStatus.Active);

/// <summary>
/// This node's copy of the sponsor and exclusion zones, read by cell grains without a call.
/// Reloaded from PostgreSQL every <see cref="SpawnOptions.ZoneRefreshInterval"/> (so changes
/// made on another node arrive within that), and at once after a change made on this node.
/// Without PostgreSQL there are no zones. Every per-cell or per-point lookup goes through a spatial
/// index (<see cref="ZoneIndex{T}"/>) rebuilt with each snapshot, so its cost does not grow with the
/// number of zones in the world.
/// </summary>
public sealed partial class WorldCache(
    IServiceProvider services, IOptions<SpawnOptions> options, GameClock clock, ILogger<WorldCache> logger) : BackgroundService
{
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private readonly SemaphoreSlim _reload = new(1, 1);

    public IReadOnlyList<Geometry> Exclusions => _snapshot.Exclusions;

    /// <summary>Bumped on every reload, so readers can cache what they derived from the zones.</summary>
    public int Version => _version;

    private volatile int _version;

    public IReadOnlyList<CachedZone> Zones => _snapshot.Zones;

    public IReadOnlyList<ExclusionZone> ExclusionZones => _snapshot.ExclusionZones;

    public CachedZone? FindZone(string zoneId) => _snapshot.ById.GetValueOrDefault(zoneId);

    /// <summary>The zones whose bounding box meets the cell, in load order (what a cell spawns from and a player's visits are judged against).</summary>
    public IReadOnlyList<CachedZone> ZonesOverlapping(CellBounds cell)
    {
        var envelope = new Envelope(cell.West, cell.East, cell.South, cell.North);
        var found = new List<IndexedZone>();
        _snapshot.ZoneIndex.Query(envelope, found);
        if (found.Count == 0)
        {
            return [];
        }

        // The tree's order is its packing order; callers get the same order a scan gave.
        found.Sort(static (a, b) => a.Order.CompareTo(b.Order));
        return [.. found.Select(z => z.Zone)];
    }

    public bool IsExcluded(GeoPoint point)
    {
        var index = _snapshot.ExclusionIndex;
        if (index.Count == 0)
        {
            return false;
        }

        var p = ZoneGeometry.Factory.CreatePoint(new Coordinate(point.Longitude, point.Latitude));
        return index.Any(p.EnvelopeInternal, e => e.Prepared.Covers(p));
    }

    /// <summary>
    /// The exclusion areas whose bounding box meets <paramref name="bounds"/> (grown by a margin: a
    /// circle zone samples the true circle, whose edge may bulge past its stored polygon's box) —
    /// the only ones that can cover a point drawn there.
    /// </summary>
    public IReadOnlyList<Geometry> ExclusionsOverlapping(Envelope bounds)
    {
        var index = _snapshot.ExclusionIndex;
        if (index.Count == 0)
        {
            return [];
        }

        var grown = new Envelope(bounds);
        grown.ExpandBy((Math.Max(bounds.Width, bounds.Height) * 0.05) + 1e-6);
        var found = new List<IndexedExclusion>();
        index.Query(grown, found);
        return [.. found.Select(e => e.Area)];
    }

    /// <summary>Work done by zone lookups of the current snapshot: candidates tested (for tests).</summary>
    internal long ZoneCandidatesExamined => _snapshot.ZoneIndex.CandidatesExamined;

    /// <summary>Work done by exclusion lookups of the current snapshot: candidates tested (for tests).</summary>
    internal long ExclusionCandidatesExamined => _snapshot.ExclusionIndex.CandidatesExamined;

    /// <summary>Adds an exclusion at once, before the next reload confirms it.</summary>
    internal void AddExclusion(Geometry area)
    {
        var current = _snapshot;
        Geometry[] exclusions = [.. current.Exclusions, area];
        _snapshot = current with { Exclusions = exclusions, ExclusionIndex = IndexExclusions(exclusions) };
    }

    /// <summary>Replaces the snapshot (what a reload does) and rebuilds both indexes.</summary>
    internal void Load(IReadOnlyList<CachedZone> zones, IReadOnlyList<ExclusionZone> exclusions)
    {
        Geometry[] areas = [.. exclusions.Select(e => e.Area)];
        var indexed = zones.Select((z, i) => new IndexedZone(i, z));
        Interlocked.Increment(ref _version);
        _snapshot = new Snapshot(
            zones, areas, zones.ToDictionary(z => z.Zone.Id, StringComparer.Ordinal), exclusions,
            new ZoneIndex<IndexedZone>(indexed, z => z.Zone.Bounds), IndexExclusions(areas));
    }

    private static ZoneIndex<IndexedExclusion> IndexExclusions(IEnumerable<Geometry> areas) =>
        new(areas.Where(a => !a.IsEmpty).Select(a => new IndexedExclusion(a, PreparedGeometryFactory.Prepare(a))), e => e.Area.EnvelopeInternal);

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var store = services.GetService<ZoneStore>();
        if (store is null)
        {
            return;
        }

        await _reload.WaitAsync(cancellationToken);
        try
        {
            var zones = await store.ListNotEndedAsync(clock.UtcNow, cancellationToken);
            var exclusions = await store.ListExclusionsAsync(cancellationToken);
            var cached = new List<CachedZone>(zones.Count);
            foreach (var zone in zones)
            {
                cached.Add(new CachedZone(ToSpawnZone(zone), zone.Area.EnvelopeInternal, zone.Name, zone.Area, zone.Status));
            }

            Load(cached, exclusions);
        }
        finally
        {
            _reload.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<ZoneStore>() is null)
        {
            return;
        }

        // A node that started while PostgreSQL was down loads the zones as soon as the schema is
        // migrated, not a whole refresh interval later.
        if (services.GetService<Data.DatabaseStatus>() is { SchemaReady: false } database)
        {
            _ = ReloadWhenSchemaReadyAsync(database, stoppingToken);
        }

        using var timer = new PeriodicTimer(options.Value.ZoneRefreshInterval);
        do
        {
            try
            {
                await ReloadAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Keep the last good copy: a database blip must not empty the map.
                LogReloadFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task ReloadWhenSchemaReadyAsync(Data.DatabaseStatus database, CancellationToken stoppingToken)
    {
        try
        {
            await database.WhenSchemaReady.WaitAsync(stoppingToken);
            await ReloadAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The periodic reload tries again.
            LogReloadFailed(logger, ex);
        }
    }

    internal static SpawnZone ToSpawnZone(SponsorZone zone) => new()
    {
        Id = zone.Id.ToString(),
        Shape = zone is { Kind: ZoneKind.Circle, Clipped: false, Center: { } c, RadiusMeters: { } r }
            ? new CircleShape(new GeoPoint(c.Y, c.X), r)
            : new PolygonShape(zone.Area),
        SpeciesWeights = zone.SpeciesWeights,
        SpawnsPerHour = zone.SpawnsPerHour,
        MaxAlive = zone.MaxAlive,
        Schedule = ParseSchedule(zone.ScheduleJson),
        StartsAt = zone.StartsAt,
        EndsAt = zone.EndsAt,
    };

    private static readonly JsonSerializerOptions ScheduleJson = new(JsonSerializerDefaults.Web);

    internal static ZoneSchedule? ParseSchedule(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        var dto = JsonSerializer.Deserialize<ScheduleDto>(json, ScheduleJson);
        if (dto?.TimeZone is null || dto.Windows is null)
        {
            return null;
        }

        var windows = dto.Windows
            .Select(w => WeeklyWindow.Parse(Enum.Parse<DayOfWeek>(w.Day!, ignoreCase: true), w.Start!, w.End!))
            .ToList();
        return new ZoneSchedule(dto.TimeZone, windows);
    }

    private sealed record ScheduleDto(string? TimeZone, List<WindowDto>? Windows);

    private sealed record WindowDto(string? Day, string? Start, string? End);

    private sealed record IndexedZone(int Order, CachedZone Zone);

    private sealed record IndexedExclusion(Geometry Area, IPreparedGeometry Prepared);

    private sealed record Snapshot(
        IReadOnlyList<CachedZone> Zones, IReadOnlyList<Geometry> Exclusions, IReadOnlyDictionary<string, CachedZone> ById, IReadOnlyList<ExclusionZone> ExclusionZones,
        ZoneIndex<IndexedZone> ZoneIndex, ZoneIndex<IndexedExclusion> ExclusionIndex)
    {
        public static readonly Snapshot Empty = new([], [], new Dictionary<string, CachedZone>(), [], new([], z => z.Zone.Bounds), new([], e => e.Area.EnvelopeInternal));
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Reloading zones failed; keeping the previous copy")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
