using System.Text.Json;
using GameBackend.Data.Zones;
using GameBackend.Domain.Cells;
using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;
using GameBackend.Server.Hosting;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;

namespace GameBackend.Server.Spawning;

/// <summary>A sponsor zone as the spawn engine uses it, with its bounding box for cell lookups.
/// Zones of every status are cached (visits to a paused zone still count); only an
/// <see cref="Data.Billing.ZoneStatus.Active"/> one spawns.</summary>
public sealed record CachedZone(SpawnZone Zone, Envelope Bounds, string Name, Geometry Area, string Status = Data.Billing.ZoneStatus.Active);

/// <summary>
/// This node's copy of the sponsor and exclusion zones, read by cell grains without a call.
/// Reloaded from PostgreSQL every <see cref="SpawnOptions.ZoneRefreshInterval"/> (so changes
/// made on another node arrive within that), and at once after a change made on this node.
/// Without PostgreSQL there are no zones.
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

    public IEnumerable<CachedZone> ZonesOverlapping(CellBounds cell)
    {
        var envelope = new Envelope(cell.West, cell.East, cell.South, cell.North);
        foreach (var zone in _snapshot.Zones)
        {
            if (zone.Bounds.Intersects(envelope))
            {
                yield return zone;
            }
        }
    }

    public bool IsExcluded(GeoPoint point)
    {
        var exclusions = _snapshot.Exclusions;
        if (exclusions.Count == 0)
        {
            return false;
        }

        var p = ZoneGeometry.Factory.CreatePoint(new Coordinate(point.Longitude, point.Latitude));
        foreach (var exclusion in exclusions)
        {
            if (exclusion.Covers(p))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds an exclusion at once, before the next reload confirms it.</summary>
    internal void AddExclusion(Geometry area)
    {
        var current = _snapshot;
        _snapshot = current with { Exclusions = [.. current.Exclusions, area] };
    }

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

            Interlocked.Increment(ref _version);
            _snapshot = new Snapshot(cached, [.. exclusions.Select(e => e.Area)], cached.ToDictionary(z => z.Zone.Id, StringComparer.Ordinal), exclusions);
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

    private sealed record Snapshot(
        IReadOnlyList<CachedZone> Zones, IReadOnlyList<Geometry> Exclusions, IReadOnlyDictionary<string, CachedZone> ById, IReadOnlyList<ExclusionZone> ExclusionZones)
    {
        public static readonly Snapshot Empty = new([], [], new Dictionary<string, CachedZone>(), []);
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Reloading zones failed; keeping the previous copy")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
