using GameBackend.Data;
using GameBackend.Server.History;
using Npgsql;

namespace GameBackend.Server.Hosting;

internal static class DataSetup
{
    /// <summary>
    /// Where a node keeps state that must outlive it (the history journal and spill) when no folder
    /// is configured: <c>$XDG_DATA_HOME/gamebackend</c> (<c>~/.local/share/gamebackend</c>), which,
    /// unlike the temp folder, is neither a tmpfs nor cleaned at boot. Containers set
    /// <c>History:SpillDirectory</c> to a mounted volume instead (Dockerfile, compose, Kubernetes).
    /// </summary>
    internal static string DefaultStateDirectory()
    {
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return Path.Combine(string.IsNullOrEmpty(data) ? Path.GetTempPath() : data, "gamebackend");
    }

    /// <summary>
    /// PostgreSQL when <c>ConnectionStrings:Postgres</c> is set, otherwise history is disabled.
    /// <c>ConnectionStrings:Postgres</c> is the least-privilege app role the server works as;
    /// <c>ConnectionStrings:PostgresMigrations</c>, when set, is the owner role the migrations run as
    /// (docs/security.md, finding 6).
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
            o.MigrationConnectionString = builder.Configuration.GetConnectionString("PostgresMigrations");
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
                o.SpillDirectory = Path.Combine(DefaultStateDirectory(), "history-spill", hash);
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

/// <summary>
/// PostgreSQL's part of readiness. An outage does not make the node unready: play goes on without
/// PostgreSQL (history spills and catches up, logins answer 503), so the check says Degraded and why,
/// and the balancer keeps sending players.
/// </summary>
internal sealed class PostgresHealthCheck(
    [FromKeyedServices(GameDataServiceCollectionExtensions.DataSourceKey)] NpgsqlDataSource dataSource, DatabaseStatus status)
    : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("select 1");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // Well inside the probes' timeouts (Kubernetes 5 s, Compose 3 s): an unreachable host
            // must read as Degraded, not as a probe that timed out.
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await command.ExecuteScalarAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Degraded(
                "PostgreSQL does not answer: play goes on, history is kept on disk until it is back, logins answer 503.", ex);
        }

        return status.Problem is { } problem
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Degraded(
                "PostgreSQL answers but its schema is not migrated yet (logins answer 503): " + problem)
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("PostgreSQL answers.");
    }
}
