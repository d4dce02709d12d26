using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace GameBackend.LoadTests.SignalR;

/// <summary>
/// Writes and parses SignalR hub protocol frames without HubConnection:
/// JSON <c>{"type":1,...}\x1e</c> and MessagePack <c>varint(len) [1, {}, id, target, [args], []]</c>.
/// </summary>
internal static class HubFrames
{
    public const byte RecordSeparator = 0x1E;
    public const int Invocation = 1;
    public const int StreamItem = 2;
    public const int CompletionType = 3;
    public const int Ping = 6;
    public const int Close = 7;

    private static readonly ConcurrentDictionary<string, byte[]> JsonPrefixes = new();
    private static readonly ConcurrentDictionary<string, byte[]> MsgPackTargets = new();

    public static readonly byte[] JsonPing = "{\"type\":6}\u001e"u8.ToArray();
    public static readonly byte[] MsgPackPing = [0x02, 0x91, 0x06];

    public static byte[] Handshake(HubProtocol protocol) =>
        Encoding.UTF8.GetBytes($"{{\"protocol\":\"{protocol.HandshakeName()}\",\"version\":1}}\u001e");

    /// <summary>Upper bound of the frame size, for renting a buffer.</summary>
    public static int MaxFrameLength(string target, int argsLength) => 64 + target.Length * 3 + argsLength + 32;

    /// <summary>
    /// Writes an invocation frame into <paramref name="dest"/>; returns its length. <paramref name="invocationId"/> &lt; 0
    /// sends a non-blocking invocation (no completion). JSON arguments are comma-separated values; MessagePack
    /// arguments are <paramref name="argCount"/> concatenated values.
    /// </summary>
    public static int WriteInvocation(HubProtocol protocol, Span<byte> dest, long invocationId, string target, ReadOnlySpan<byte> args, int argCount)
    {
        Span<byte> id = stackalloc byte[20];
        var idLength = 0;
        if (invocationId >= 0 && !Utf8Formatter.TryFormat(invocationId, id, out idLength))
        {
            throw new InvalidOperationException("invocation id");
        }

        id = id[..idLength];
        return protocol == HubProtocol.Json
            ? WriteJson(dest, id, invocationId >= 0, target, args)
            : WriteMsgPack(dest, id, invocationId >= 0, target, args, argCount);
    }

    private static int WriteJson(Span<byte> dest, ReadOnlySpan<byte> id, bool hasId, string target, ReadOnlySpan<byte> args)
    {
        var prefix = JsonPrefixes.GetOrAdd(target, static t =>
            Encoding.UTF8.GetBytes("{\"type\":1,\"target\":" + JsonSerializer.Serialize(t) + ",\"arguments\":["));
        var n = 0;
        prefix.CopyTo(dest);
        n += prefix.Length;
        args.CopyTo(dest[n..]);
        n += args.Length;
        dest[n++] = (byte)']';
        if (hasId)
        {
            ",\"invocationId\":\""u8.CopyTo(dest[n..]);
            n += 17;
            id.CopyTo(dest[n..]);
            n += id.Length;
            dest[n++] = (byte)'"';
        }

        dest[n++] = (byte)'}';
        dest[n++] = RecordSeparator;
        return n;
    }

    private static int WriteMsgPack(Span<byte> dest, ReadOnlySpan<byte> id, bool hasId, string target, ReadOnlySpan<byte> args, int argCount)
    {
        var targetBytes = MsgPackTargets.GetOrAdd(target, static t => MessagePackSerializer.Serialize(t));

        // Body: fixarray(6), 1, {} headers, id (fixstr or nil), target, array(argCount) + args, [] stream ids.
        var bodyLength = 3 + (hasId ? 1 + id.Length : 1) + targetBytes.Length + ArrayHeaderLength(argCount) + args.Length + 1;
        var n = WriteVarInt(dest, bodyLength);
        dest[n++] = 0x96;
        dest[n++] = Invocation;
        dest[n++] = 0x80;
        if (hasId)
        {
            dest[n++] = (byte)(0xA0 | id.Length); // ids are at most 20 digits: always a fixstr
            id.CopyTo(dest[n..]);
            n += id.Length;
        }
        else
        {
            dest[n++] = 0xC0;
        }

        targetBytes.CopyTo(dest[n..]);
        n += targetBytes.Length;
        n += WriteArrayHeader(dest[n..], argCount);
        args.CopyTo(dest[n..]);
        n += args.Length;
        dest[n++] = 0x90;
        return n;
    }

    private static int ArrayHeaderLength(int count) => count < 16 ? 1 : count <= ushort.MaxValue ? 3 : 5;

    private static int WriteArrayHeader(Span<byte> dest, int count)
    {
        if (count < 16)
        {
            dest[0] = (byte)(0x90 | count);
            return 1;
        }

        dest[0] = 0xDC;
        dest[1] = (byte)(count >> 8);
        dest[2] = (byte)count;
        return 3;
    }

    public static int WriteVarInt(Span<byte> dest, int value)
    {
        var n = 0;
        var v = (uint)value;
        do
        {
            var b = (byte)(v & 0x7F);
            v >>= 7;
            if (v > 0)
            {
                b |= 0x80;
            }

            dest[n++] = b;
        }
        while (v > 0);
        return n;
    }

    /// <summary>Tries to read a varint length prefix; returns false when more bytes are needed.</summary>
    public static bool TryReadVarInt(ReadOnlySpan<byte> src, out int value, out int consumed)
    {
        value = 0;
        consumed = 0;
        var shift = 0;
        while (consumed < src.Length && consumed < 5)
        {
            var b = src[consumed++];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }

            shift += 7;
        }

        if (consumed >= 5)
        {
            throw new InvalidDataException("Message length prefix is too long.");
        }

        return false;
    }
}

/// <summary>A parsed incoming hub message. Slices point into the receive buffer and are valid only until the next receive.</summary>
internal ref struct HubMessage
{
    public int Type;
    public long InvocationId; // -1 when absent or not numeric
    public string? Target;
    public string? Error;
    public bool HasResult;
    public ReadOnlySpan<byte> Payload; // result (completion) or argument array (invocation)

    public static HubMessage ParseJson(ReadOnlySpan<byte> json)
    {
        var msg = new HubMessage { InvocationId = -1 };
        var reader = new Utf8JsonReader(json);
        reader.Read(); // StartObject
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                msg.Type = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("invocationId"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out long id, out _))
                {
                    msg.InvocationId = id;
                }
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                msg.Target = reader.GetString();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                msg.Error = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
            }
            else if (reader.ValueTextEquals("result"u8) || reader.ValueTextEquals("arguments"u8))
            {
                var isResult = reader.ValueTextEquals("result"u8);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                msg.Payload = json[start..(int)reader.BytesConsumed];
                msg.HasResult |= isResult;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return msg;
    }

    public static HubMessage ParseMsgPack(ReadOnlyMemory<byte> body)
    {
        var msg = new HubMessage { InvocationId = -1 };
        var reader = new MessagePackReader(body);
        var count = reader.ReadArrayHeader();
        msg.Type = reader.ReadInt32();
        switch (msg.Type)
        {
            case HubFrames.Invocation:
                reader.Skip(); // headers
                msg.InvocationId = ReadId(ref reader);
                msg.Target = reader.ReadString();
                msg.Payload = body.Span[SkipRange(ref reader)];
                break;
            case HubFrames.CompletionType:
                reader.Skip(); // headers
                msg.InvocationId = ReadId(ref reader);
                var kind = reader.ReadInt32();
                if (kind == 1)
                {
                    msg.Error = reader.ReadString() ?? "error";
                }
                else if (kind == 3)
                {
                    msg.HasResult = true;
                    msg.Payload = body.Span[SkipRange(ref reader)];
                }

                break;
            case HubFrames.Close:
                if (count > 1)
                {
                    msg.Error = reader.TryReadNil() ? null : reader.ReadString();
                }

                break;
        }

        return msg;
    }

    private static Range SkipRange(ref MessagePackReader reader)
    {
        var start = (int)reader.Consumed;
        reader.Skip();
        return start..(int)reader.Consumed;
    }

    private static long ReadId(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return -1;
        }

        if (reader.TryReadStringSpan(out var span) && Utf8Parser.TryParse(span, out long id, out _))
        {
            return id;
        }

        return -1;
    }
}
