namespace GameBackend.Domain.Geo;

/// <summary>
/// Great-circle maths on a spherical Earth (mean radius). Over game distances (metres to a few
/// kilometres) the spherical error against WGS84 is below 0.5 %, far under GPS noise.
/// Every trigonometric call takes radians: the degrees-into-Math.Cos bug of the GPSTracker sample
/// is the one we are guarding against.
/// </summary>
public static class GeoMath
{
    /// <summary>IUGG mean Earth radius in metres.</summary>
    public const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>Metres per degree of latitude (and of longitude at the equator).</summary>
    public const double MetersPerDegree = Math.PI * EarthRadiusMeters / 180.0;

    public static double ToRadians(double degrees) => degrees * (Math.PI / 180.0);

    public static double ToDegrees(double radians) => radians * (180.0 / Math.PI);

    /// <summary>Haversine distance in metres; well conditioned for small distances and across the antimeridian.</summary>
    public static double DistanceMeters(GeoPoint a, GeoPoint b)
    {
        var phi1 = ToRadians(a.Latitude);
        var phi2 = ToRadians(b.Latitude);
        var dPhi = phi2 - phi1;
        var dLambda = ToRadians(b.Longitude - a.Longitude);
        var sinDPhi = Math.Sin(dPhi / 2);
        var sinDLambda = Math.Sin(dLambda / 2);
        var h = (sinDPhi * sinDPhi) + (Math.Cos(phi1) * Math.Cos(phi2) * sinDLambda * sinDLambda);
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1.0, Math.Sqrt(h)));
    }

    /// <summary>Initial great-circle bearing from <paramref name="from"/> to <paramref name="to"/>, degrees clockwise from north in [0, 360).</summary>
    public static double InitialBearingDegrees(GeoPoint from, GeoPoint to)
    {
        var phi1 = ToRadians(from.Latitude);
        var phi2 = ToRadians(to.Latitude);
        var dLambda = ToRadians(to.Longitude - from.Longitude);
        var y = Math.Sin(dLambda) * Math.Cos(phi2);
        var x = (Math.Cos(phi1) * Math.Sin(phi2)) - (Math.Sin(phi1) * Math.Cos(phi2) * Math.Cos(dLambda));
        return NormalizeBearing(ToDegrees(Math.Atan2(y, x)));
    }

    /// <summary>The point reached by travelling <paramref name="distanceMeters"/> along a great circle with the given initial bearing.</summary>
    public static GeoPoint Destination(GeoPoint start, double bearingDegrees, double distanceMeters)
    {
        var delta = distanceMeters / EarthRadiusMeters;
        var theta = ToRadians(bearingDegrees);
        var phi1 = ToRadians(start.Latitude);
        var lambda1 = ToRadians(start.Longitude);
        var sinPhi2 = (Math.Sin(phi1) * Math.Cos(delta)) + (Math.Cos(phi1) * Math.Sin(delta) * Math.Cos(theta));
        var phi2 = Math.Asin(Math.Clamp(sinPhi2, -1.0, 1.0));
        var y = Math.Sin(theta) * Math.Sin(delta) * Math.Cos(phi1);
        var x = Math.Cos(delta) - (Math.Sin(phi1) * sinPhi2);
        var lambda2 = lambda1 + Math.Atan2(y, x);
        return new GeoPoint(ToDegrees(phi2), NormalizeLongitude(ToDegrees(lambda2)));
    }

    /// <summary>Maps any longitude into [-180, 180).</summary>
    public static double NormalizeLongitude(double longitude)
    {
        var lon = (longitude + 180.0) % 360.0;
        if (lon < 0)
        {
            lon += 360.0;
        }

        // A hair below zero plus 360 rounds to exactly 360, which would come out as +180.
        return lon >= 360.0 ? -180.0 : lon - 180.0;
    }

    /// <summary>Maps any angle into [0, 360).</summary>
    public static double NormalizeBearing(double degrees)
    {
        var d = degrees % 360.0;
        if (d < 0)
        {
            d += 360.0;
        }

        // -1e-15 % 360 + 360 rounds to exactly 360.0; adding +0.0 turns -0.0 into +0.0.
        return d >= 360.0 ? 0.0 : d + 0.0;
    }

    private static readonly string[] CompassPoints =
        ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];

    /// <summary>The nearest of the eight compass points, e.g. "north-east" for 40°.</summary>
    public static string CompassPoint(double bearingDegrees)
    {
        var index = (int)Math.Floor((NormalizeBearing(bearingDegrees) + 22.5) / 45.0) % 8;
        return CompassPoints[index];
    }
}
