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
        services.TryAddSingleton<DatabaseStatus>();
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
    /// <summary>PostgreSQL connection string the server works with (the app role). Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// Connection string the migrations run with: the role that owns the schema. Optional; when
    /// empty, migrations run with <see cref="ConnectionString"/> (one role for everything, as a
    /// plain <c>dotnet run</c> against a local database does).
    /// </summary>
    public string? MigrationConnectionString { get; set; }

    /// <summary>Apply pending migrations at start-up (safe with several nodes). Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// While PostgreSQL does not answer at start-up, migrations are retried in the background with
    /// exponential backoff from 500 ms up to this delay. Default 10 s.
    /// </summary>
    public TimeSpan MigrationRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

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

        if (options.MigrationRetryMaxDelay < TimeSpan.FromMilliseconds(500) || options.MigrationRetryMaxDelay > TimeSpan.FromMinutes(10))
        {
            errors.Add("Data:MigrationRetryMaxDelay must be between 500 ms and 10 minutes.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// Migrates the schema, then keeps day partitions ahead of time and applies retention. Start-up
/// tries the migrations once: when PostgreSQL answers, the server starts with a current schema (as
/// it always did); when it does not, the server starts anyway and serves play (history spills,
/// readiness says degraded, logins answer 503) while the migrations are retried in the background
/// with backoff. An error that is not an outage (bad SQL, missing rights) still stops the start.
/// </summary>
internal sealed partial class DataMaintenanceService(
    IOptions<GameDataOptions> options,
    PositionPartitions partitions,
    PlayerDataStore privacy,
    DatabaseStatus status,
    TimeProvider time,
    ILogger<DataMaintenanceService> logger,
    ILogger<DatabaseMigrator> migratorLogger,
    [FromKeyedServices(GameDataServiceCollectionExtensions.DataSourceKey)] NpgsqlDataSource dataSource) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.MigrateOnStart)
        {
            status.SchemaCurrent();
        }
        else
        {
            try
            {
                await MigrateAsync(cancellationToken);
            }
            catch (NpgsqlException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                status.MigrationFailed("PostgreSQL does not answer: " + ex.Message);
                Log.StartingWithoutDatabase(logger, ex.Message);
            }
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        await MigrateInBackgroundAsync(settings, stoppingToken);
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

    private async Task MigrateInBackgroundAsync(GameDataOptions settings, CancellationToken stoppingToken)
    {
        for (var delay = TimeSpan.FromMilliseconds(500); !status.SchemaReady;
             delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MigrationRetryMaxDelay.Ticks)))
        {
            await Task.Delay(delay, time, stoppingToken);
            try
            {
                await MigrateAsync(stoppingToken);
                Log.MigratedAfterOutage(logger);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // An outage heals by itself; anything else (missing rights, a failing migration)
                // needs an operator, who may fix it without restarting this node.
                status.MigrationFailed(ex.Message);
                if (ex is NpgsqlException { IsTransient: true })
                {
                    Log.MigrationRetry(logger, delay, ex.Message);
                }
                else
                {
                    Log.MigrationFailed(logger, delay, ex);
                }
            }
        }
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var connectionString = string.IsNullOrWhiteSpace(settings.MigrationConnectionString)
            ? settings.ConnectionString
            : settings.MigrationConnectionString;
        await new DatabaseMigrator(connectionString, migratorLogger).MigrateAsync(cancellationToken);

        // The migration may have created PostGIS: anything that opened the shared data source
        // earlier cached a type list without geography.
        await dataSource.ReloadTypesAsync(cancellationToken);
        status.SchemaCurrent();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Database not ready for migrations; retrying in {Delay}: {Reason}")]
        public static partial void MigrationRetry(ILogger logger, TimeSpan delay, string reason);

        [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "PostgreSQL does not answer; starting without it (play continues, history spills, logins answer 503) and migrating once it is back: {Reason}")]
        public static partial void StartingWithoutDatabase(ILogger logger, string reason);

        [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "PostgreSQL is back: schema migrated")]
        public static partial void MigratedAfterOutage(ILogger logger);

        [LoggerMessage(EventId = 305, Level = LogLevel.Error, Message = "Migrations failed; retrying in {Delay}")]
        public static partial void MigrationFailed(ILogger logger, TimeSpan delay, Exception exception);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Dropped {Count} position partitions older than {Days} days")]
        public static partial void Dropped(ILogger logger, int count, int days);

        [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Retention ({Days} days): {Visits} visits, {Sightings} sightings, {Spawns} spawns, {Tombstones} erasure tombstones, {FairPlay} anti-cheat records deleted; {Captures} capture locations coarsened")]
        public static partial void Expired(ILogger logger, int days, long visits, long sightings, long spawns, long captures, long tombstones, long fairPlay);

        [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Partition/retention maintenance failed")]
        public static partial void MaintenanceFailed(ILogger logger, Exception exception);
    }
}
