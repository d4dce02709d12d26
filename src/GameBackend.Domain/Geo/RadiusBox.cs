namespace GameBackend.Domain.Geo;

/// <summary>
/// A latitude/longitude box around a circle: a few subtractions reject the points that are clearly
/// farther than the radius, so the exact (trigonometric) distance runs only for points near it.
/// Conservative by construction: every point within the radius is inside the box.
/// </summary>
public readonly struct RadiusBox
{
    // 1% margin over the spherical figures, so rounding never rejects a point within the radius.
    private const double Margin = 1.01;
    private static readonly double MetersPerDegree = GeoMath.EarthRadiusMeters * Math.PI / 180;

    private readonly GeoPoint _centre;
    private readonly double _latitudeSpan;
    private readonly double _longitudeSpan;

    public RadiusBox(GeoPoint centre, double radiusMeters)
    {
        _centre = centre;
        _latitudeSpan = radiusMeters * Margin / MetersPerDegree;
        // A degree of longitude is shortest at the box's edge nearest a pole: use that one.
        var poleward = Math.Min(90, Math.Abs(centre.Latitude) + _latitudeSpan);
        var cos = Math.Cos(GeoMath.ToRadians(poleward));
        _longitudeSpan = cos < 1e-9 ? 360 : _latitudeSpan / cos;
    }

    public bool MayContain(double latitude, double longitude)
    {
        if (Math.Abs(latitude - _centre.Latitude) > _latitudeSpan)
        {
            return false;
        }

        var dLon = Math.Abs(longitude - _centre.Longitude);
        if (dLon > 180)
        {
            dLon = 360 - dLon; // across the antimeridian
        }

        return dLon <= _longitudeSpan;
    }
}
