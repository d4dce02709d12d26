using System.Diagnostics.CodeAnalysis;
using GameBackend.Domain.Movement;

namespace GameBackend.Server.Players;

// The domain keeps LocationFix free of Orleans attributes; this surrogate is its wire form.

[GenerateSerializer, Immutable, Alias("GameBackend.LocationFix")]
[SuppressMessage("Design", "CA1051", Justification = "An Orleans surrogate is a plain field bag copied by generated code.")]
public struct LocationFixSurrogate
{
    [Id(0)] public long Seq;
    [Id(1)] public long DeviceTimeMs;
    [Id(2)] public long ServerTimeMs;
    [Id(3)] public double Latitude;
    [Id(4)] public double Longitude;
    [Id(5)] public double? Accuracy;
    [Id(6)] public double? Heading;
    [Id(7)] public double? Speed;
    [Id(8)] public double? Course;
    [Id(9)] public double? AccelX;
    [Id(10)] public double? AccelY;
    [Id(11)] public double? AccelZ;
}

[RegisterConverter]
public sealed class LocationFixConverter : IConverter<LocationFix, LocationFixSurrogate>
{
    public LocationFix ConvertFromSurrogate(in LocationFixSurrogate s) =>
        new(s.Seq, s.DeviceTimeMs, s.ServerTimeMs, s.Latitude, s.Longitude, s.Accuracy, s.Heading, s.Speed, s.Course,
            s.AccelX, s.AccelY, s.AccelZ);

    public LocationFixSurrogate ConvertToSurrogate(in LocationFix f) => new()
    {
        Seq = f.Seq,
        DeviceTimeMs = f.DeviceTimeMs,
        ServerTimeMs = f.ServerTimeMs,
        Latitude = f.Latitude,
        Longitude = f.Longitude,
        Accuracy = f.Accuracy,
        Heading = f.Heading,
        Speed = f.Speed,
        Course = f.Course,
        AccelX = f.AccelX,
        AccelY = f.AccelY,
        AccelZ = f.AccelZ,
    };
}
