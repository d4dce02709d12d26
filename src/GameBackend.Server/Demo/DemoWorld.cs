using GameBackend.Data;
using GameBackend.Data.Zones;
using GameBackend.Server.Spawning;
using NetTopologySuite.Geometries;
using Npgsql;

namespace GameBackend.Server.Demo;

/// <summary>Settings of the demo world (section <c>Demo</c>). Off by default; development only.</summary>
public sealed class DemoOptions
{
    public const string Section = "Demo";

    /// <summary>Seed a demo sponsor with zones along Berlin's Torstraße at start-up (needs PostgreSQL).</summary>
    public bool Enabled { get; set; }

    /// <summary>Name of the demo sponsor; its presence is what marks the demo as already seeded.</summary>
    public string SponsorName { get; set; } = "Kaffeehaus Mitte";
}

public static class DemoWorldSetup
{
    public static IServiceCollection AddGameDemo(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.Section);
        if (configuration.GetValue<bool>(DemoOptions.Section + ":" + nameof(DemoOptions.Enabled)))
        {
            services.AddHostedService<DemoWorldSeeder>();
        }

        return services;
    }
}

/// <summary>
/// Creates the demo sponsor, three sponsor zones around Rosenthaler Platz and a school-yard exclusion
/// zone once, after the server (and its silo) has started. The sponsor's API key is only stored as a
/// hash, so on every later start the seeder issues the demo sponsor a fresh key and logs it: the
/// sponsor console is always reachable from the log. Never enable this on a shared deployment.
/// </summary>
internal sealed partial class DemoWorldSeeder(
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    Microsoft.Extensions.Options.IOptions<DemoOptions> options,
    ILogger<DemoWorldSeeder> logger) : BackgroundService
{
    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Zone changes are pushed to cell grains, so wait until the silo is up.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            await started.Task;
        }

        var sponsors = services.GetService<SponsorStore>();
        var zones = services.GetService<ZoneStore>();
        var dataSource = services.GetKeyedService<NpgsqlDataSource>(GameDataServiceCollectionExtensions.DataSourceKey);
        if (sponsors is null || zones is null || dataSource is null)
        {
            LogNoDatabase(logger);
            return;
        }

        try
        {
            await SeedAsync(sponsors, zones, dataSource, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSeedFailed(logger, ex);
        }
    }

    private async Task SeedAsync(SponsorStore sponsors, ZoneStore zones, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        // On a brand-new database the data source may have loaded its types before the migrator
        // created PostGIS; geography parameters only resolve after a reload.
        await dataSource.ReloadTypesAsync(ct);

        var name = options.Value.SponsorName;
        Guid sponsorId;
        string apiKey;
        string status;
        if (await sponsors.FindByNameAsync(name, ct) is { } existing &&
            await sponsors.RotateApiKeyAsync(existing, ct) is { } rotated)
        {
            (sponsorId, apiKey, status) = (existing, rotated.ApiKey, "existing, new key");
        }
        else
        {
            var registration = await sponsors.CreateAsync(name, ct);
            (sponsorId, apiKey, status) = (registration.Sponsor.Id, registration.ApiKey, "created");
        }

        // Each step is skipped when already done, so a start interrupted half-way is completed by the next.
        var world = services.GetService<IWorldChanges>();
        const string schoolName = "Grundschule Torstraße (school yard)";
        if (!(await zones.ListExclusionsAsync(ct)).Any(e => e.Name == schoolName))
        {
            // The exclusion comes first so the zone next to the school is stored clipped, as a real one would be.
            var schoolYard = Polygon((52.52842, 13.39720), (52.52842, 13.39850), (52.52885, 13.39850), (52.52885, 13.39720));
            var exclusion = await zones.CreateExclusionAsync(schoolName, schoolYard, ct);
            await NotifyAsync(world, w => w.ExclusionZoneCreatedAsync(exclusion.Id, exclusion.Area, ct));
        }

        if ((await zones.ListAsync(sponsorId, ct)).Count == 0)
        {
            var coffee = new Dictionary<string, double> { ["emberkit"] = 4, ["lanternmoth"] = 2, ["glasswing"] = 1 };
            var pastry = new Dictionary<string, double> { ["dandelope"] = 3, ["cloudmunch"] = 2, ["aurelisk"] = 0.5 };
            await zones.CreateAsync(sponsorId, SponsorZoneInput.ForCircle(
                "Kaffeehaus Mitte – Rosenthaler Platz", 52.52965, 13.40140, 60, coffee, 60, 6), ct);
            await zones.CreateAsync(sponsorId, SponsorZoneInput.ForCircle(
                "Kaffeehaus Mitte – Torstraße West", 52.52905, 13.39700, 50, pastry, 40, 4), ct);
            await zones.CreateAsync(sponsorId, SponsorZoneInput.ForPolygon(
                "Kaffeehaus Mitte – Torstraße terraces",
                Polygon((52.52920, 13.40400), (52.52905, 13.40800), (52.52945, 13.40805), (52.52958, 13.40400)),
                coffee, 30, 5), ct);
            await NotifyAsync(world, w => w.SponsorZonesChangedAsync(ct));
        }

        LogDemoSponsor(logger, name, sponsorId, apiKey, status);
    }

    /// <summary>The zones are stored by now; running cells that miss the news pick them up on their next periodic reload.</summary>
    private async Task NotifyAsync(IWorldChanges? world, Func<IWorldChanges, Task> notify)
    {
        try
        {
            if (world is not null)
            {
                await notify(world);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNotifyFailed(logger, ex);
        }
    }

    private static Polygon Polygon(params (double Lat, double Lng)[] corners)
    {
        var ring = corners.Select(c => new Coordinate(c.Lng, c.Lat)).Append(new Coordinate(corners[0].Lng, corners[0].Lat)).ToArray();
        var polygon = Factory.CreatePolygon(ring);
        // Counter-clockwise shell, as GeoJSON (RFC 7946) writers expect.
        return polygon.Shell.IsCCW ? polygon : (Polygon)polygon.Reverse();
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Demo:Enabled is set but PostgreSQL is not configured: no demo sponsor or zones")]
    private static partial void LogNoDatabase(ILogger logger);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning,
        Message = "Demo sponsor '{Name}' ({Status}): sponsor id {SponsorId}, API key {ApiKey} (development only; open /sponsor.html)")]
    private static partial void LogDemoSponsor(ILogger logger, string name, Guid sponsorId, string apiKey, string status);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "Demo zones are stored but telling the running cells failed")]
    private static partial void LogNotifyFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "Seeding the demo world failed")]
    private static partial void LogSeedFailed(ILogger logger, Exception exception);
}
