using NetTopologySuite.Geometries;

namespace GameBackend.Server.Spawning;

/// <summary>
/// How the REST side tells running cells that sponsor or exclusion zones changed, so changes take
/// effect without a restart. Geometries are lon/lat (x = longitude, y = latitude), SRID 4326.
/// </summary>
public interface IWorldChanges
{
    /// <summary>A sponsor zone was created, updated or deleted: cells reload the zones overlapping them.</summary>
    Task SponsorZonesChangedAsync(CancellationToken cancellationToken = default);

    /// <summary>An exclusion zone was created: creatures inside it despawn at once (reason <c>excluded</c>).</summary>
    Task ExclusionZoneCreatedAsync(Guid exclusionZoneId, Geometry area, CancellationToken cancellationToken = default);

    /// <summary>An exclusion zone was deleted.</summary>
    Task ExclusionZoneDeletedAsync(Guid exclusionZoneId, CancellationToken cancellationToken = default);
}
