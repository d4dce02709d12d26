using System.Diagnostics.Metrics;
using GameBackend.Data.Analytics;
using GameBackend.Data.History;
using GameBackend.Data.Migrations;
using GameBackend.Data.Privacy;
using GameBackend.Data.Zones;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace GameBackend.Data;

/// <summary>Wiring for the data layer.</summary>
public static class GameDataServiceCollectionExtensions
{
    /// <summary>Key of the <see cref="NpgsqlDataSource"/> the stores use (keyed, so the host may
    /// register its own data sources without clashing).</summary>
    public const string DataSourceKey = "GameBackend.Data";

    /// <summary>
    /// Registers the migrator (runs at start-up), the daily partition/retention maintenance, and the
    /// stores: <see cref="SponsorStore"/>, <see cref="ZoneStore"/>, <see cref="PlayerDataStore"/>,
    /// <see cref="AnalyticsQueries"/>, <see cref="CaptureLedger"/>. Call before <see cref="AddGameHistory"/>
    /// so the schema exists before history is written.
    /// </summary>
    public static IServiceCollection AddGameData(this IServiceCollection services, Action<GameDataOptions>? configure = null)
    {
        var options = services.AddOptions<GameDataOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GameDataOptions>, GameDataOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton(DataSourceKey, (sp, _) => GameDataSource.Create(sp.GetRequiredService<IOptions<GameDataOptions>>().Value.ConnectionString));
        services.TryAddSingleton(sp => new SponsorStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSourceKey)));
        services.TryAddSingleton(sp => new ZoneStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSourceKey), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<FairPlay.IFairPlayStore>(sp => new FairPlay.PostgresFairPlayStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSourceKey)));
        services.TryAddSingleton(sp => new Accounts.PlayerAccountStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSourceKey)));
        services.TryAddSingleton(sp => new PlayerDataStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSourceKey)));
        services.TryAddSingleton(sp => new PositionPartitions(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSourceKey)));
        services.TryAddSingleton(sp => new AnalyticsQueries(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSourceKey)));
        services.TryAddSingleton(sp => new CaptureLedger(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSourceKey)));
        services.TryAddSingleton(sp => new Billing.BillingStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataSourceKey)));
        services.AddHostedService<DataMaintenanceService>();
        return services;
    }

    /// <summary>
    /// Registers <see cref="HistoryWriter"/> as a singleton and as a hosted service (same instance):
    /// inject <see cref="HistoryWriter"/> and call its <c>TryAppend</c> overloads.
    /// </summary>
    public static IServiceCollection AddGameHistory(this IServiceCollection services, Action<HistoryOptions>? configure = null)
    {
        var options = services.AddOptions<HistoryOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HistoryOptions>, HistoryOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new HistoryWriter(
            sp.GetRequiredService<IOptions<HistoryOptions>>().Value,
            sp.GetService<ILogger<HistoryWriter>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<Billing.IZoneSpendListener>()));
        services.AddHostedService(sp => sp.GetRequiredService<HistoryWriter>());
        return services;
    }
}

/// <summary>Settings for the data layer (everything but history ingestion).</summary>
public sealed class GameDataOptions
{
    /// <summary>PostgreSQL connection string. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Apply pending migrations at start-up (safe with several nodes). Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>Days of location history kept. Default 30.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>How often partitions are created ahead and retention runs. Default 1 hour.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);
}

public sealed class GameDataOptionsValidator : IValidateOptions<GameDataOptions>
{
    public ValidateOptionsResult Validate(string? name, GameDataOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("Data:ConnectionString is required.");
        }

        if (options.RetentionDays < 1)
        {
            errors.Add("Data:RetentionDays must be at least 1.");
        }

        if (options.MaintenanceInterval < TimeSpan.FromMinutes(1))
        {
            errors.Add("Data:MaintenanceInterval must be at least one minute.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// Migrates at start-up (blocking start until the schema is current, retrying while PostgreSQL is
/// unreachable), then keeps day partitions ahead of time and applies retention.
/// </summary>
internal sealed partial class DataMaintenanceService(
    IOptions<GameDataOptions> options,
    PositionPartitions partitions,
    PlayerDataStore privacy,
    TimeProvider time,
    ILogger<DataMaintenanceService> logger,
    ILogger<DatabaseMigrator> migratorLogger,
    [FromKeyedServices(GameDataServiceCollectionExtensions.DataSourceKey)] NpgsqlDataSource dataSource) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.MigrateOnStart)
        {
            var migrator = new DatabaseMigrator(settings.ConnectionString, migratorLogger);
            for (var delay = TimeSpan.FromMilliseconds(500); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks)))
            {
                try
                {
                    await migrator.MigrateAsync(cancellationToken);

                    // The migration may have created PostGIS: anything that opened the shared data
                    // source earlier cached a type list without geography.
                    await dataSource.ReloadTypesAsync(cancellationToken);
                    break;
                }
                catch (NpgsqlException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
                {
                    Log.MigrationRetry(logger, delay, ex.Message);
                    await Task.Delay(delay, time, cancellationToken);
                }
            }
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = time.GetUtcNow();
                await partitions.EnsureAroundAsync(now, stoppingToken);
                // Retention covers every history table, not only positions (docs/history.md, privacy).
                var expired = await privacy.ApplyRetentionAsync(now, settings.RetentionDays, stoppingToken);
                if (expired.DroppedPartitions.Count > 0)
                {
                    Log.Dropped(logger, expired.DroppedPartitions.Count, settings.RetentionDays);
                }

                if (expired.Visits + expired.Sightings + expired.Spawns + expired.CapturesCoarsened + expired.Tombstones + expired.FairPlay > 0)
                {
                    Log.Expired(logger, settings.RetentionDays, expired.Visits, expired.Sightings, expired.Spawns, expired.CapturesCoarsened, expired.Tombstones, expired.FairPlay);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Next run retries; the default partition keeps ingestion working meanwhile.
                Log.MaintenanceFailed(logger, ex);
            }

            await Task.Delay(settings.MaintenanceInterval, time, stoppingToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Database not ready for migrations; retrying in {Delay}: {Reason}")]
        public static partial void MigrationRetry(ILogger logger, TimeSpan delay, string reason);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Dropped {Count} position partitions older than {Days} days")]
        public static partial void Dropped(ILogger logger, int count, int days);

        [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Retention ({Days} days): {Visits} visits, {Sightings} sightings, {Spawns} spawns, {Tombstones} erasure tombstones, {FairPlay} anti-cheat records deleted; {Captures} capture locations coarsened")]
        public static partial void Expired(ILogger logger, int days, long visits, long sightings, long spawns, long captures, long tombstones, long fairPlay);

        [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Partition/retention maintenance failed")]
        public static partial void MaintenanceFailed(ILogger logger, Exception exception);
    }
}
