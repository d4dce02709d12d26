using System.Text.Json;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using NetTopologySuite.Operation.Valid;

namespace GameBackend.Server.Sponsors;

/// <summary>GeoJSON (RFC 7946, [longitude, latitude]) in and out of the REST API.</summary>
internal static class GeoJson
{
    /// <summary>Largest number of vertices accepted in one request geometry.</summary>
    public const int MaxVertices = 2000;

    private static readonly GeometryFactory Factory = NtsGeometryServices.Instance.CreateGeometryFactory(4326);

    private static readonly JsonSerializerOptions Options = new() { Converters = { new GeoJsonConverterFactory(Factory) } };

    public static JsonElement ToJson(Geometry geometry) => JsonSerializer.SerializeToElement(geometry, Options);

    /// <summary>
    /// Parses a GeoJSON geometry object into one of <paramref name="allowed"/> types and checks it is
    /// valid for the game: WGS 84 ranges, bounded size, and OGC-valid (closed, non-self-intersecting
    /// rings; the reason text comes from NetTopologySuite's <see cref="IsValidOp"/>).
    /// </summary>
    public static bool TryParseArea(JsonElement json, Type[] allowed, out Geometry? geometry, out string error)
    {
        geometry = null;
        if (json.ValueKind != JsonValueKind.Object)
        {
            error = "must be a GeoJSON geometry object.";
            return false;
        }

        Geometry? parsed;
        try
        {
            parsed = json.Deserialize<Geometry>(Options);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or NotSupportedException or FormatException)
        {
            // NTS rejects unclosed or too-short rings with ArgumentException while building them.
            error = "is not a valid GeoJSON geometry: " + ex.Message;
            return false;
        }

        var typeNames = string.Join(" or ", allowed.Select(t => t.Name));
        if (parsed is null || !allowed.Contains(parsed.GetType()))
        {
            error = $"must be a GeoJSON {typeNames}.";
            return false;
        }

        if (parsed.IsEmpty)
        {
            error = "must not be empty.";
            return false;
        }

        if (parsed.NumPoints > MaxVertices)
        {
            error = $"has {parsed.NumPoints} vertices; at most {MaxVertices} are accepted.";
            return false;
        }

        if (parsed.Coordinates.Any(c => !double.IsFinite(c.X) || !double.IsFinite(c.Y) || Math.Abs(c.X) > 180 || Math.Abs(c.Y) > 90))
        {
            error = "has a position outside longitude [-180, 180] / latitude [-90, 90] (GeoJSON order is [longitude, latitude]).";
            return false;
        }

        var validity = new IsValidOp(parsed).ValidationError;
        if (validity is not null)
        {
            error = $"is not a valid polygon: {validity.Message} at ({validity.Coordinate?.X}, {validity.Coordinate?.Y}).";
            return false;
        }

        parsed.SRID = 4326;
        geometry = parsed;
        error = "";
        return true;
    }
}
