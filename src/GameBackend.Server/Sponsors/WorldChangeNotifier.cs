using GameBackend.Server.Spawning;
using NetTopologySuite.Geometries;

namespace GameBackend.Server.Sponsors;

/// <summary>
/// Tells every registered <see cref="IWorldChanges"/> (none, until spawning provides one) that zones
/// changed. The database write has already committed when this runs, so a failing listener is logged
/// and the REST call still succeeds: the zone is stored, only the live reload was missed.
/// </summary>
internal sealed partial class WorldChangeNotifier(IEnumerable<IWorldChanges> listeners, ILogger<WorldChangeNotifier> logger)
{
    private readonly IWorldChanges[] _listeners = [.. listeners];

    public Task SponsorZoneChangedAsync(Guid sponsorId, Guid zoneId, string change, CancellationToken cancellationToken)
    {
        LogZoneChanged(logger, zoneId, sponsorId, change);
        return NotifyAsync(l => l.SponsorZonesChangedAsync(cancellationToken), "SponsorZonesChanged");
    }

    public Task ExclusionZoneCreatedAsync(Guid id, Geometry area, CancellationToken cancellationToken)
    {
        LogExclusion(logger, id, "created");
        return NotifyAsync(l => l.ExclusionZoneCreatedAsync(id, area, cancellationToken), "ExclusionZoneCreated");
    }

    public Task ExclusionZoneDeletedAsync(Guid id, CancellationToken cancellationToken)
    {
        LogExclusion(logger, id, "deleted");
        return NotifyAsync(l => l.ExclusionZoneDeletedAsync(id, cancellationToken), "ExclusionZoneDeleted");
    }

    private async Task NotifyAsync(Func<IWorldChanges, Task> notify, string what)
    {
        foreach (var listener in _listeners)
        {
            try
            {
                await notify(listener);
            }
            catch (Exception ex)
            {
                LogNotifyFailed(logger, what, listener.GetType().Name, ex);
            }
        }
    }

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Sponsor zone {ZoneId} of sponsor {SponsorId} {Change}")]
    private static partial void LogZoneChanged(ILogger logger, Guid zoneId, Guid sponsorId, string change);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Exclusion zone {ZoneId} {Change}")]
    private static partial void LogExclusion(ILogger logger, Guid zoneId, string change);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "World change {Change} not delivered to {Listener} (the change is stored; running cells keep the old zones until they reload)")]
    private static partial void LogNotifyFailed(ILogger logger, string change, string listener, Exception exception);
}
