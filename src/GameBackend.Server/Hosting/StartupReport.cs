using GameBackend.Server.Identity;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Hosting;

/// <summary>Says once, at start-up, what runs and what is disabled, so a `dotnet run` without services is never a surprise.</summary>
internal sealed partial class StartupReport(
    IConfiguration configuration,
    IOptions<ClusterOptions> cluster,
    IOptions<IdentityOptions> identity,
    IOptions<WorldOptions> world,
    ILogger<StartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogCluster(logger, cluster.Value.Mode, cluster.Value.SiloPort, cluster.Value.GatewayPort);
        LogWorld(logger, world.Value.CellSizeMeters, world.Value.VisibilityRadiusMeters);
        if (string.IsNullOrWhiteSpace(configuration.GetConnectionString("Postgres")))
        {
            LogNoPostgres(logger);
        }

        if (cluster.Value.Mode == ClusterMode.Localhost)
        {
            LogNoRedis(logger);
        }

        if (identity.Value.UsesDevelopmentKey)
        {
            LogDevKey(logger);
        }

        if (!identity.Value.GuestLoginEnabled)
        {
            LogGuestDisabled(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Cluster mode {Mode} (silo port {SiloPort}, gateway port {GatewayPort})")]
    private static partial void LogCluster(ILogger logger, ClusterMode mode, int siloPort, int gatewayPort);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "World: {CellSize} m cells, {Radius} m visibility radius")]
    private static partial void LogWorld(ILogger logger, int cellSize, double radius);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "DISABLED: PostgreSQL (ConnectionStrings:Postgres not set) — no location history, analytics, sponsor zones or durable collections; exclusion zones and sponsors live in memory only")]
    private static partial void LogNoPostgres(ILogger logger);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Single node: localhost Orleans clustering, no Redis backplane (set Cluster:Mode=Redis to scale out)")]
    private static partial void LogNoRedis(ILogger logger);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Identity:SigningKey is the public development key (Development only; any other environment refuses to start with it)")]
    private static partial void LogDevKey(ILogger logger);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Guest login is disabled; only tokens from the configured issuer are accepted")]
    private static partial void LogGuestDisabled(ILogger logger);
}
