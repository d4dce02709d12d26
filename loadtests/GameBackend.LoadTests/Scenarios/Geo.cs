namespace GameBackend.LoadTests.Scenarios;

/// <summary>Small-distance geodesy on a sphere; angles in degrees at the API, radians inside.</summary>
public static class Geo
{
    /// <summary>Mean Earth radius, metres.</summary>
    public const double EarthRadius = 6_371_008.8;

    private const double Deg = Math.PI / 180;

    /// <summary>The point <paramref name="distance"/> metres from a start along <paramref name="bearing"/> degrees.</summary>
    public static (double Latitude, double Longitude) Move(double latitude, double longitude, double bearing, double distance)
    {
        var lat1 = latitude * Deg;
        var lon1 = longitude * Deg;
        var b = bearing * Deg;
        var d = distance / EarthRadius;
        var lat2 = Math.Asin(Math.Sin(lat1) * Math.Cos(d) + Math.Cos(lat1) * Math.Sin(d) * Math.Cos(b));
        var lon2 = lon1 + Math.Atan2(Math.Sin(b) * Math.Sin(d) * Math.Cos(lat1), Math.Cos(d) - Math.Sin(lat1) * Math.Sin(lat2));
        return (lat2 / Deg, (lon2 / Deg + 540) % 360 - 180);
    }

    /// <summary>Great-circle distance in metres (haversine).</summary>
    public static double Distance(double lat1, double lon1, double lat2, double lon2)
    {
        var dLat = (lat2 - lat1) * Deg;
        var dLon = (lon2 - lon1) * Deg;
        var a = Math.Pow(Math.Sin(dLat / 2), 2) + Math.Cos(lat1 * Deg) * Math.Cos(lat2 * Deg) * Math.Pow(Math.Sin(dLon / 2), 2);
        return 2 * EarthRadius * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    /// <summary>Initial bearing from the first point to the second, degrees in [0, 360).</summary>
    public static double Bearing(double lat1, double lon1, double lat2, double lon2)
    {
        var p1 = lat1 * Deg;
        var p2 = lat2 * Deg;
        var dl = (lon2 - lon1) * Deg;
        var y = Math.Sin(dl) * Math.Cos(p2);
        var x = Math.Cos(p1) * Math.Sin(p2) - Math.Sin(p1) * Math.Cos(p2) * Math.Cos(dl);
        return Normalize(Math.Atan2(y, x) / Deg);
    }

    /// <summary>Wraps an angle into [0, 360).</summary>
    public static double Normalize(double degrees)
    {
        var d = degrees % 360;
        return d < 0 ? d + 360 : d >= 360 ? 0 : d;
    }
}
