using GameBackend.Data.Billing;
using GameBackend.Server.Hosting;
using GameBackend.Server.Spawning;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Sponsors;

/// <summary>
/// Keeps <c>sponsor_zones.status</c> in step with budgets and tells spawning. Three paths lead
/// here: visits charged by the history writer (<see cref="IZoneSpendListener"/>, after commit),
/// a budget set through the API, and the periodic sweep (<see cref="ZoneBudgetSweeper"/>) that
/// resumes daily-paused zones on a new UTC day. Each changed zone's <see cref="IZoneGrain"/> is
/// told to re-read the zones; it is the single place every node's cells draw the zone's spawns
/// from, so spawning stops or resumes cluster-wide with that one call. The database is the truth:
/// a lost notification is repaired by the next sweep.
/// </summary>
public sealed partial class ZoneBudgets(IServiceProvider services, IGrainFactory grains, GameClock clock, ILogger<ZoneBudgets> logger) : IZoneSpendListener
{
    private BillingStore? Store => services.GetService<BillingStore>();

    /// <summary>Today as billing sees it: the UTC day of the game clock.</summary>
    public DateOnly Today => DateOnly.FromDateTime(clock.UtcNow.UtcDateTime);

    void IZoneSpendListener.ZoneSpendChanged(IReadOnlyList<Guid> zoneIds) =>
        // Off the history writer's loop: the re-evaluation reads PostgreSQL and calls grains.
        _ = Task.Run(() => RefreshAsync(zoneIds, CancellationToken.None));

    /// <summary>Re-evaluates the zones (null = all) for today and notifies the ones that changed. Never throws.</summary>
    public async Task<int> RefreshAsync(IReadOnlyCollection<Guid>? zoneIds, CancellationToken cancellationToken)
    {
        if (Store is not { } store)
        {
            return 0;
        }

        try
        {
            var changes = await store.RefreshStatusAsync(zoneIds, Today, cancellationToken);
            await NotifyAsync(changes);
            return changes.Count;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRefreshFailed(logger, ex);
            return 0;
        }
    }

    /// <summary>Tells spawning about status changes already committed.</summary>
    public async Task NotifyAsync(IEnumerable<ZoneStatusChange> changes)
    {
        foreach (var change in changes)
        {
            LogStatusChanged(logger, change.ZoneId, change.Status);
            try
            {
                await grains.GetGrain<IZoneGrain>(change.ZoneId.ToString()).StatusChanged();
            }
            catch (Exception ex)
            {
                // Stored already; the zone grain's node picks it up at its next zone reload.
                LogNotifyFailed(logger, change.ZoneId, ex);
            }
        }
    }

    [LoggerMessage(EventId = 5501, Level = LogLevel.Information, Message = "Sponsor zone {ZoneId} is now {Status}")]
    private static partial void LogStatusChanged(ILogger logger, Guid zoneId, string status);

    [LoggerMessage(EventId = 5502, Level = LogLevel.Warning, Message = "Re-evaluating zone budgets failed; the next sweep retries")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5503, Level = LogLevel.Warning, Message = "Zone {ZoneId} status change not delivered to its zone grain (it reloads within the zone refresh interval)")]
    private static partial void LogNotifyFailed(ILogger logger, Guid zoneId, Exception exception);
}

/// <summary>Runs <see cref="ZoneBudgets.RefreshAsync"/> for every zone on the game clock.</summary>
internal sealed class ZoneBudgetSweeper(ZoneBudgets budgets, IOptions<BillingOptions> options, GameClock clock, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<BillingStore>() is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.StatusRefreshInterval, clock.Provider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await budgets.RefreshAsync(null, stoppingToken);
        }
    }
}

/// <summary>
/// Closes and bills the zone visits a dead node left open (<see cref="BillingStore.CloseAbandonedVisitsAsync"/>):
/// every <see cref="BillingOptions.OpenVisitSweepInterval"/> on the game clock, the visits whose last
/// sighting is older than <see cref="BillingOptions.OpenVisitTimeout"/>. Runs on every node; the
/// store makes concurrent sweeps safe and the ledger's key makes billing exactly-once, so no node
/// needs to be elected. Zones charged by the sweep go through the same status re-evaluation as
/// visits charged by the history writer.
/// </summary>
public sealed partial class AbandonedVisitSweeper(
    ZoneBudgets budgets, IOptions<BillingOptions> options, GameClock clock, IServiceProvider services, ILogger<AbandonedVisitSweeper> logger) : BackgroundService
{
    /// <summary>Visits closed by one statement; a sweep repeats until a statement closes fewer.</summary>
    public const int BatchSize = 5000;

    /// <summary>One sweep now (also what the timer runs). Returns the visits closed; never throws but for cancellation.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<BillingStore>() is not { } store)
        {
            return 0;
        }

        var before = clock.UtcNow - options.Value.OpenVisitTimeout;
        var closed = 0;
        try
        {
            AbandonedVisitSweep sweep;
            do
            {
                sweep = await store.CloseAbandonedVisitsAsync(before, BatchSize, cancellationToken);
                closed += sweep.Closed;
                if (sweep.ChargedZones.Count > 0)
                {
                    await budgets.RefreshAsync(sweep.ChargedZones, cancellationToken);
                }
            }
            while (sweep.Closed == BatchSize);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogSweepFailed(logger, ex);
        }

        if (closed > 0)
        {
            LogClosed(logger, closed, before);
        }

        return closed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<BillingStore>() is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.OpenVisitSweepInterval, clock.Provider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await SweepAsync(stoppingToken);
        }
    }

    [LoggerMessage(EventId = 5510, Level = LogLevel.Information, Message = "Closed {Count} zone visits left open by a node that stopped (last seen before {Before:O}); the qualifying ones are billed")]
    private static partial void LogClosed(ILogger logger, int count, DateTimeOffset before);

    [LoggerMessage(EventId = 5511, Level = LogLevel.Warning, Message = "Sweeping abandoned zone visits failed; the next sweep retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}

internal static class BillingSetup
{
    public static IServiceCollection AddSponsorBilling(this IServiceCollection services)
    {
        services.AddOptions<BillingOptions>().BindConfiguration(BillingOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BillingOptions>, BillingOptionsValidator>();
        services.AddSingleton<ZoneBudgets>();
        services.AddSingleton<IZoneSpendListener>(sp => sp.GetRequiredService<ZoneBudgets>());
        services.AddHostedService<ZoneBudgetSweeper>();
        services.AddSingleton<AbandonedVisitSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<AbandonedVisitSweeper>());
        return services;
    }
}
