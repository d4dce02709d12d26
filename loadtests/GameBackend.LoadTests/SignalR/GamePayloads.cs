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
    public static (bool Accepted, string? Reason) ReadAck(HubProtocol protocol, ReadOnlyMemory<byte> raw) => ReadAck(protocol, raw, readNearby: false, out _);

    /// <summary>
    /// Reads <c>accepted</c>, <c>reason</c> and, when present, the <c>nearby</c> list of a <see cref="LocationAck"/>.
    /// <paramref name="nearby"/> is null when the server left the list out ("unchanged since the last list"):
    /// callers keep their previous list (<c>ack.Nearby ?? previous</c>). Only a changed list allocates.
    /// </summary>
    public static (bool Accepted, string? Reason) ReadAck(HubProtocol protocol, ReadOnlyMemory<byte> raw, out NearbyCreature[]? nearby) =>
        ReadAck(protocol, raw, readNearby: true, out nearby);

    /// <summary>
    /// Reads <c>accepted</c>, <c>reason</c> and, when present, the <c>nearby</c> list into <paramref name="into"/>
    /// without materialising creatures: ids are hashed, and a creature's id string is kept only when
    /// <see cref="NearbyBuffer.WantId"/> says so (e.g. it is within throwing range). Returns whether the list was
    /// present; when absent ("unchanged") <paramref name="into"/> is left as it was.
    /// </summary>
    public static (bool Accepted, string? Reason, bool NearbyPresent) ReadAck(HubProtocol protocol, ReadOnlyMemory<byte> raw, NearbyBuffer into)
    {
        var accepted = false;
        string? reason = null;
        var present = false;
        if (protocol == HubProtocol.Json)
        {
            var reader = new Utf8JsonReader(raw.Span);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isAccepted = reader.ValueTextEquals("accepted"u8);
                var isReason = reader.ValueTextEquals("reason"u8);
                var isNearby = reader.ValueTextEquals("nearby"u8);
                reader.Read();
                if (isNearby && reader.TokenType == JsonTokenType.StartArray)
                {
                    present = true;
                    into.Clear();
                    ReadNearbyJson(ref reader, into);
                }
                else if (isAccepted)
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

            return (accepted, reason, present);
        }

        var mp = new MessagePackReader(raw);
        var count = mp.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            var key = mp.ReadStringSequence();
            var k = key.HasValue ? key.Value.FirstSpan : default;
            if (k.SequenceEqual("nearby"u8))
            {
                if (mp.TryReadNil())
                {
                    continue; // unchanged: keep the previous list
                }

                present = true;
                into.Clear();
                var n = mp.ReadArrayHeader();
                for (var c = 0; c < n; c++)
                {
                    var fields = mp.ReadMapHeader();
                    ReadOnlySpan<byte> id = default;
                    double lat = double.NaN, lon = double.NaN;
                    for (var f = 0; f < fields; f++)
                    {
                        var name = mp.ReadStringSequence();
                        var fk = name.HasValue ? name.Value.FirstSpan : default;
                        if (fk.SequenceEqual("creatureId"u8) && mp.ReadStringSequence() is { IsSingleSegment: true } v)
                        {
                            id = v.FirstSpan;
                        }
                        else if (fk.SequenceEqual("latitude"u8))
                        {
                            lat = mp.ReadDouble();
                        }
                        else if (fk.SequenceEqual("longitude"u8))
                        {
                            lon = mp.ReadDouble();
                        }
                        else if (!fk.SequenceEqual("creatureId"u8))
                        {
                            mp.Skip();
                        }
                    }

                    into.Add(id, lat, lon);
                }
            }
            else if (k.SequenceEqual("accepted"u8))
            {
                accepted = mp.ReadBoolean();
            }
            else if (k.SequenceEqual("reason"u8))
            {
                reason = mp.TryReadNil() ? null : mp.ReadString();
            }
            else
            {
                mp.Skip();
            }
        }

        return (accepted, reason, present);
    }

    private static void ReadNearbyJson(ref Utf8JsonReader reader, NearbyBuffer into)
    {
        Span<byte> unescaped = stackalloc byte[256];
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            scoped ReadOnlySpan<byte> id = default;
            double lat = double.NaN, lon = double.NaN;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("creatureId"u8);
                var isLat = reader.ValueTextEquals("latitude"u8);
                var isLon = reader.ValueTextEquals("longitude"u8);
                reader.Read();
                if (isId && reader.TokenType == JsonTokenType.String)
                {
                    id = !reader.ValueIsEscaped ? reader.ValueSpan
                        : reader.ValueSpan.Length <= unescaped.Length ? unescaped[..reader.CopyString(unescaped)]
                        : System.Text.Encoding.UTF8.GetBytes(reader.GetString()!);
                }
                else if (isLat && reader.TokenType == JsonTokenType.Number)
                {
                    lat = reader.GetDouble();
                }
                else if (isLon && reader.TokenType == JsonTokenType.Number)
                {
                    lon = reader.GetDouble();
                }
                else
                {
                    reader.Skip();
                }
            }

            into.Add(id, lat, lon);
        }
    }

    private static (bool Accepted, string? Reason) ReadAck(HubProtocol protocol, ReadOnlyMemory<byte> raw, bool readNearby, out NearbyCreature[]? nearby)
    {
        nearby = null;
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
                var isNearby = readNearby && reader.ValueTextEquals("nearby"u8);
                reader.Read();
                if (isNearby)
                {
                    nearby = reader.TokenType == JsonTokenType.Null ? null : JsonSerializer.Deserialize<NearbyCreature[]>(ref reader, Json);
                }
                else if (isAccepted)
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
            var isNearby = readNearby && key.HasValue && key.Value.FirstSpan.SequenceEqual("nearby"u8);
            if (isNearby)
            {
                nearby = mp.TryReadNil() ? null : MsgPack.Resolver.GetFormatterWithVerify<NearbyCreature[]>().Deserialize(ref mp, MsgPack);
            }
            else if (isAccepted)
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

    /// <summary>
    /// Reads a <c>creatureSpawned</c> push (the raw argument array) without materialising it: the creature id
    /// comes back as a 64-bit hash (for duplicate detection) and as a string only when <paramref name="wantId"/>
    /// says the caller needs it (e.g. the creature is close enough to throw at), so a push costs no allocation.
    /// </summary>
    public static bool TryReadSpawned(HubProtocol protocol, ReadOnlySpan<byte> arguments, Func<double, double, bool>? wantId, out SpawnPush push)
    {
        push = default;
        long idHash = 0, spawnedAt = 0;
        double lat = double.NaN, lon = double.NaN;
        ReadOnlySpan<byte> id = default;
        if (protocol == HubProtocol.Json)
        {
            var reader = new Utf8JsonReader(arguments);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray || !reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.ValueSpan;
                reader.Read();
                if (key.SequenceEqual("creatureId"u8) && reader.TokenType == JsonTokenType.String)
                {
                    if (reader.ValueIsEscaped)
                    {
                        // The JSON writer escapes characters such as '+': unescape into the scratch array.
                        var scratch = t_pushScratch is { } a && a.Length >= reader.ValueSpan.Length ? a : t_pushScratch = new byte[Math.Max(reader.ValueSpan.Length, 1024)];
                        id = scratch.AsSpan(0, reader.CopyString(scratch));
                    }
                    else
                    {
                        id = reader.ValueSpan;
                    }
                }
                else if (key.SequenceEqual("spawnedAt"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    spawnedAt = reader.GetInt64();
                }
                else if (key.SequenceEqual("latitude"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    lat = reader.GetDouble();
                }
                else if (key.SequenceEqual("longitude"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    lon = reader.GetDouble();
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        else
        {
            // MessagePackReader needs memory, the handler gets a span valid only during the call: copy into
            // a per-thread scratch array (receive loops run one message at a time per thread).
            var scratch = t_pushScratch is { } a && a.Length >= arguments.Length ? a : t_pushScratch = new byte[Math.Max(arguments.Length, 1024)];
            arguments.CopyTo(scratch);
            var memory = scratch.AsMemory(0, arguments.Length);
            var mp = new MessagePackReader(memory);
            if (mp.ReadArrayHeader() < 1)
            {
                return false;
            }

            var count = mp.ReadMapHeader();
            var idStart = -1;
            var idLength = 0;
            for (var i = 0; i < count; i++)
            {
                var key = mp.ReadStringSequence();
                var k = key.HasValue ? key.Value.FirstSpan : default;
                if (k.SequenceEqual("creatureId"u8) && mp.NextMessagePackType == MessagePackType.String)
                {
                    var value = mp.ReadStringSequence();
                    if (value is { IsSingleSegment: true } v)
                    {
                        idLength = (int)v.Length;
                        idStart = (int)(mp.Consumed - idLength);
                    }
                }
                else if (k.SequenceEqual("spawnedAt"u8))
                {
                    spawnedAt = mp.ReadInt64();
                }
                else if (k.SequenceEqual("latitude"u8))
                {
                    lat = mp.ReadDouble();
                }
                else if (k.SequenceEqual("longitude"u8))
                {
                    lon = mp.ReadDouble();
                }
                else
                {
                    mp.Skip();
                }
            }

            if (idStart >= 0)
            {
                id = scratch.AsSpan(idStart, idLength);
            }
        }

        if (id.IsEmpty)
        {
            return false;
        }

        idHash = Fnv1a(id);
        var text = wantId is not null && wantId(lat, lon) ? System.Text.Encoding.UTF8.GetString(id) : null;
        push = new SpawnPush(idHash, text, spawnedAt, lat, lon);
        return true;
    }

    /// <summary>FNV-1a 64 of a creature id's UTF-8 bytes (ids in acks and pushes hash alike).</summary>
    public static long Fnv1a(ReadOnlySpan<byte> bytes)
    {
        unchecked
        {
            var h = 14695981039346656037UL;
            foreach (var b in bytes)
            {
                h = (h ^ b) * 1099511628211UL;
            }

            return (long)h;
        }
    }

    /// <summary>FNV-1a 64 of a creature id string (same value as the byte form).</summary>
    public static long Fnv1a(string id)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(id.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        return Fnv1a(bytes[..System.Text.Encoding.UTF8.GetBytes(id, bytes)]);
    }

    [ThreadStatic]
    private static byte[]? t_pushScratch;

    [ThreadStatic]
    private static Utf8JsonWriter? t_jsonWriter;

    private static Utf8JsonWriter JsonWriter => t_jsonWriter ??= new Utf8JsonWriter(new ArrayBufferWriter<byte>(1));

    /// <summary>A per-thread scratch buffer for encoding one argument before it is copied into a frame.</summary>
    public static ArrayBufferWriter<byte> ScratchBuffer => t_scratch ??= new ArrayBufferWriter<byte>(512);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;
}

/// <summary>
/// A player's last nearby list as the runner needs it (id hash, position, the id string only where wanted),
/// reused from ack to ack so a changed list costs no allocation beyond the ids kept.
/// </summary>
public sealed class NearbyBuffer
{
    private Entry[] _items = new Entry[16];

    /// <summary>Decides, from a creature's position, whether to keep its id string; null keeps none.</summary>
    public Func<double, double, bool>? WantId { get; init; }

    /// <summary>Creatures in the list.</summary>
    public int Count { get; private set; }

    /// <summary>The creatures, <see cref="Count"/> of them.</summary>
    public ReadOnlySpan<Entry> Items => _items.AsSpan(0, Count);

    /// <summary>Empties the list.</summary>
    public void Clear() => Count = 0;

    /// <summary>Appends a creature (ids that are empty are skipped).</summary>
    public void Add(ReadOnlySpan<byte> id, double latitude, double longitude)
    {
        if (id.IsEmpty)
        {
            return;
        }

        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        var keep = WantId is not null && WantId(latitude, longitude);
        _items[Count++] = new Entry(GamePayloads.Fnv1a(id), keep ? System.Text.Encoding.UTF8.GetString(id) : null, latitude, longitude);
    }

    /// <summary>Drops the creature with this id hash (it was thrown at).</summary>
    public void Remove(long idHash)
    {
        var span = _items.AsSpan(0, Count);
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i].IdHash == idHash)
            {
                span[(i + 1)..].CopyTo(span[i..]);
                Count--;
                return;
            }
        }
    }

    /// <summary>One creature of the list.</summary>
    public readonly record struct Entry(long IdHash, string? Id, double Latitude, double Longitude);
}

/// <summary>What the runner needs of a <c>creatureSpawned</c> push; <see cref="CreatureId"/> only when asked for.</summary>
public readonly record struct SpawnPush(long IdHash, string? CreatureId, long SpawnedAt, double Latitude, double Longitude);

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
