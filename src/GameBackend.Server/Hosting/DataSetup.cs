using GameBackend.Data;
using GameBackend.Server.History;
using Npgsql;

namespace GameBackend.Server.Hosting;

internal static class DataSetup
{
    /// <summary>
    /// PostgreSQL when <c>ConnectionStrings:Postgres</c> is set, otherwise history is disabled.
    /// Registered before Orleans so that on shutdown the history writer stops after the silo
    /// (hosted services stop in reverse order) and flushes what deactivating grains recorded.
    /// </summary>
    public static WebApplicationBuilder AddGameData(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            builder.Services.AddSingleton<IGameHistory, DisabledGameHistory>();
            // Strikes, ban and trusted position still outlive a grain's deactivation (not the node).
            builder.Services.AddSingleton<GameBackend.Data.FairPlay.IFairPlayStore, GameBackend.Data.FairPlay.InMemoryFairPlayStore>();
            return builder;
        }

        // Zone versions are stamped with game time, the clock history rows carry (TryAdd in AddGameData keeps this one).
        builder.Services.AddSingleton(sp => new GameBackend.Data.Zones.ZoneStore(
            sp.GetRequiredKeyedService<NpgsqlDataSource>(GameDataServiceCollectionExtensions.DataSourceKey),
            sp.GetRequiredService<GameClock>().Provider));

        // Analytics and statements run under Limits:AnalyticsStatementTimeout (docs/security.md).
        builder.Services.AddSingleton(sp => new GameBackend.Data.Analytics.AnalyticsQueries(
            sp.GetRequiredKeyedService<NpgsqlDataSource>(GameDataServiceCollectionExtensions.DataSourceKey),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitsOptions>>().Value.AnalyticsStatementTimeout));
        builder.Services.AddSingleton(sp => new GameBackend.Data.Billing.BillingStore(
            sp.GetRequiredKeyedService<NpgsqlDataSource>(GameDataServiceCollectionExtensions.DataSourceKey),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitsOptions>>().Value.AnalyticsStatementTimeout));

        builder.Services.AddGameData(o =>
        {
            builder.Configuration.GetSection("Data").Bind(o);
            o.ConnectionString = connectionString;
        });
        builder.Services.AddGameHistory(o =>
        {
            builder.Configuration.GetSection("History").Bind(o);
            o.ConnectionString = connectionString;
            if (string.IsNullOrWhiteSpace(builder.Configuration["History:SpillDirectory"]))
            {
                // Spilled rows must be replayed into the database they were meant for, so the
                // default spill folder is per database (and per port, for several nodes on one host).
                var csb = new NpgsqlConnectionStringBuilder(connectionString);
                var key = $"{csb.Host}:{csb.Port}/{csb.Database}|{builder.Configuration["Cluster:SiloPort"]}";
                var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16];
                o.SpillDirectory = Path.Combine(Path.GetTempPath(), "gamebackend-history-spill", hash);
            }
        });
        builder.Services.AddSingleton<IGameHistory, PostgresGameHistory>();
        // Open visits are written again once a refresh interval, so the sweep of abandoned visits
        // (Billing:OpenVisitTimeout) never takes a live node's visit for a dead node's.
        builder.Services.AddSingleton(sp => new GameBackend.Data.Analytics.ZoneVisitTracker(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WorldOptions>>().Value.PresenceTimeout,
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Sponsors.BillingOptions>>().Value.OpenVisitRefreshInterval));
        builder.Services.AddSingleton<ZoneVisits>();
        builder.Services.AddHostedService<ZoneVisitSweeper>();
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);
        return builder;
    }
}

internal sealed class PostgresHealthCheck([FromKeyedServices(GameDataServiceCollectionExtensions.DataSourceKey)] NpgsqlDataSource dataSource)
    : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("select 1");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await command.ExecuteScalarAsync(timeout.Token);
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("PostgreSQL does not answer.", ex);
        }
    }
}
