namespace GameBackend.Domain.Movement;

/// <summary>A location fix as the server sees it: the device's reading plus the server's receive time.</summary>
/// <param name="Seq">Client sequence number.</param>
/// <param name="DeviceTimeMs">Device clock, Unix ms (kept for history; never trusted for rules).</param>
/// <param name="ServerTimeMs">Server receive time, Unix ms: the clock every rule uses.</param>
public readonly record struct LocationFix(
    long Seq,
    long DeviceTimeMs,
    long ServerTimeMs,
    double Latitude,
    double Longitude,
    double? Accuracy,
    double? Heading,
    double? Speed,
    double? Course,
    double? AccelX,
    double? AccelY,
    double? AccelZ)
{
    public bool HasAcceleration => AccelX.HasValue && AccelY.HasValue && AccelZ.HasValue;
}
