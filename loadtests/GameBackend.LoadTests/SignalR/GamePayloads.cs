using System.Buffers;
using System.Net.Http.Json;
using System.Text.Json;
using GameBackend.Contracts;
using MessagePack;

namespace GameBackend.LoadTests.SignalR;

/// <summary>
/// Encodes game hub arguments and decodes results for both protocols, with the contracts' camelCase
/// field names. The location fix (the hot path) is written by hand into a reusable buffer.
/// </summary>
public static class GamePayloads
{
    /// <summary>Web defaults: camelCase, case-insensitive reads; the same names the server's JSON protocol uses.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly MessagePackSerializerOptions MsgPack = MessagePackSerializerOptions.Standard;

    /// <summary>Encodes one argument with the contracts' serializers (not for the hot path).</summary>
    public static byte[] Encode<T>(HubProtocol protocol, T value) => protocol == HubProtocol.Json
        ? JsonSerializer.SerializeToUtf8Bytes(value, Json)
        : MessagePackSerializer.Serialize(value, MsgPack);

    /// <summary>Decodes a completion result with the contracts' serializers.</summary>
    public static T Decode<T>(HubProtocol protocol, ReadOnlyMemory<byte> raw) => protocol == HubProtocol.Json
        ? JsonSerializer.Deserialize<T>(raw.Span, Json)!
        : MessagePackSerializer.Deserialize<T>(raw, MsgPack);

    /// <summary>Decodes the single argument of a server event (the raw argument array).</summary>
    public static T DecodeEventArgument<T>(HubProtocol protocol, ReadOnlySpan<byte> arguments)
    {
        if (protocol == HubProtocol.Json)
        {
            var reader = new Utf8JsonReader(arguments);
            reader.Read(); // StartArray
            reader.Read();
            return JsonSerializer.Deserialize<T>(ref reader, Json)!;
        }

        var bytes = arguments.ToArray();
        var mp = new MessagePackReader(bytes);
        mp.ReadArrayHeader();
        return MsgPack.Resolver.GetFormatterWithVerify<T>().Deserialize(ref mp, MsgPack);
    }

    /// <summary>Reads only <c>accepted</c> and <c>reason</c> of a <see cref="LocationAck"/> without materialising it.</summary>
    public static (bool Accepted, string? Reason) ReadAck(HubProtocol protocol, ReadOnlyMemory<byte> raw)
    {
        var accepted = false;
        string? reason = null;
        if (protocol == HubProtocol.Json)
        {
            var reader = new Utf8JsonReader(raw.Span);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isAccepted = reader.ValueTextEquals("accepted"u8);
                var isReason = reader.ValueTextEquals("reason"u8);
                reader.Read();
                if (isAccepted)
                {
                    accepted = reader.TokenType == JsonTokenType.True;
                }
                else if (isReason)
                {
                    reason = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else
                {
                    reader.Skip();
                }
            }

            return (accepted, reason);
        }

        var mp = new MessagePackReader(raw);
        var count = mp.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            var key = mp.ReadStringSequence();
            var isAccepted = key.HasValue && key.Value.FirstSpan.SequenceEqual("accepted"u8);
            var isReason = key.HasValue && key.Value.FirstSpan.SequenceEqual("reason"u8);
            if (isAccepted)
            {
                accepted = mp.ReadBoolean();
            }
            else if (isReason)
            {
                reason = mp.TryReadNil() ? null : mp.ReadString();
            }
            else
            {
                mp.Skip();
            }
        }

        return (accepted, reason);
    }

    /// <summary>
    /// Writes a <see cref="LocationUpdate"/> into <paramref name="buffer"/> (cleared first) as the given protocol
    /// expects it; same field names as the contract. Allocation-free apart from buffer growth.
    /// </summary>
    public static void WriteLocationUpdate(HubProtocol protocol, ArrayBufferWriter<byte> buffer, in LocationFix fix)
    {
        buffer.ResetWrittenCount();
        if (protocol == HubProtocol.Json)
        {
            var w = JsonWriter;
            w.Reset(buffer);
            w.WriteStartObject();
            w.WriteNumber("seq"u8, fix.Seq);
            w.WriteNumber("timestamp"u8, fix.Timestamp);
            w.WriteNumber("latitude"u8, fix.Latitude);
            w.WriteNumber("longitude"u8, fix.Longitude);
            w.WriteNumber("accuracy"u8, fix.Accuracy);
            w.WriteNumber("heading"u8, fix.Heading);
            w.WriteNumber("speed"u8, fix.Speed);
            w.WriteNumber("course"u8, fix.Course);
            w.WriteStartObject("acceleration"u8);
            w.WriteNumber("x"u8, fix.AccelX);
            w.WriteNumber("y"u8, fix.AccelY);
            w.WriteNumber("z"u8, fix.AccelZ);
            w.WriteEndObject();
            w.WriteEndObject();
            w.Flush();
            return;
        }

        var m = new MessagePackWriter(buffer);
        m.WriteMapHeader(9);
        m.WriteString("seq"u8); m.Write(fix.Seq);
        m.WriteString("timestamp"u8); m.Write(fix.Timestamp);
        m.WriteString("latitude"u8); m.Write(fix.Latitude);
        m.WriteString("longitude"u8); m.Write(fix.Longitude);
        m.WriteString("accuracy"u8); m.Write(fix.Accuracy);
        m.WriteString("heading"u8); m.Write(fix.Heading);
        m.WriteString("speed"u8); m.Write(fix.Speed);
        m.WriteString("course"u8); m.Write(fix.Course);
        m.WriteString("acceleration"u8);
        m.WriteMapHeader(3);
        m.WriteString("x"u8); m.Write(fix.AccelX);
        m.WriteString("y"u8); m.Write(fix.AccelY);
        m.WriteString("z"u8); m.Write(fix.AccelZ);
        m.Flush();
    }

    [ThreadStatic]
    private static Utf8JsonWriter? t_jsonWriter;

    private static Utf8JsonWriter JsonWriter => t_jsonWriter ??= new Utf8JsonWriter(new ArrayBufferWriter<byte>(1));

    /// <summary>A per-thread scratch buffer for encoding one argument before it is copied into a frame.</summary>
    public static ArrayBufferWriter<byte> ScratchBuffer => t_scratch ??= new ArrayBufferWriter<byte>(512);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;
}

/// <summary>A location fix as a struct, so producing one per update allocates nothing.</summary>
public readonly record struct LocationFix(
    long Seq, long Timestamp, double Latitude, double Longitude, double Accuracy,
    double Heading, double Speed, double Course, double AccelX, double AccelY, double AccelZ)
{
    /// <summary>The equivalent contract record (tests, non-hot paths).</summary>
    public LocationUpdate ToContract() => new()
    {
        Seq = Seq, Timestamp = Timestamp, Latitude = Latitude, Longitude = Longitude, Accuracy = Accuracy,
        Heading = Heading, Speed = Speed, Course = Course,
        Acceleration = new Acceleration { X = AccelX, Y = AccelY, Z = AccelZ },
    };
}

/// <summary>The REST calls the scenarios need.</summary>
public static class GameApi
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Shared client for REST calls (connection pooling across players).</summary>
    public static HttpClient Client => Http;

    /// <summary><c>POST /api/players/login</c>.</summary>
    public static async Task<LoginResponse> LoginAsync(Uri baseUrl, string deviceId, string displayName, CancellationToken cancellationToken)
    {
        var response = await Http.PostAsJsonAsync(new Uri(baseUrl, "/api/players/login"),
            new LoginRequest { DeviceId = deviceId, DisplayName = displayName }, GamePayloads.Json, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            // An earlier run registered this device id (its device secret is not kept): log in as a new device.
            response.Dispose();
            response = await Http.PostAsJsonAsync(new Uri(baseUrl, "/api/players/login"),
                new LoginRequest { DeviceId = $"{deviceId}-{Guid.NewGuid():N}", DisplayName = displayName }, GamePayloads.Json, cancellationToken);
        }

        using var _ = response;
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<LoginResponse>(GamePayloads.Json, cancellationToken))!;
    }

    /// <summary>The hub URL under <paramref name="baseUrl"/>.</summary>
    public static Uri HubUrl(Uri baseUrl) => new(baseUrl, HubMethods.Path);
}
