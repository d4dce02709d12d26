using System.Diagnostics.CodeAnalysis;

namespace GameBackend.LoadTests.SignalR;

/// <summary>The two SignalR hub protocols the game server speaks.</summary>
public enum HubProtocol
{
    /// <summary>JSON text frames terminated by 0x1E.</summary>
    Json,
    /// <summary>Binary MessagePack frames prefixed by a varint length.</summary>
    MessagePack,
}

/// <summary>Protocol helpers.</summary>
public static class HubProtocols
{
    /// <summary>Parses "json", "msgpack" or "messagepack".</summary>
    public static HubProtocol Parse(string value) => value.ToLowerInvariant() switch
    {
        "json" => HubProtocol.Json,
        "msgpack" or "messagepack" => HubProtocol.MessagePack,
        _ => throw new ArgumentException($"Unknown protocol '{value}' (json or msgpack).", nameof(value)),
    };

    /// <summary>The name used in the handshake.</summary>
    public static string HandshakeName(this HubProtocol protocol) => protocol == HubProtocol.Json ? "json" : "messagepack";
}

/// <summary>The answer to an invocation. <see cref="Result"/> is the raw encoded result value (JSON text or MessagePack).</summary>
public readonly record struct Completion(string? Error, bool HasResult, ReadOnlyMemory<byte> Result, int FrameBytes)
{
    /// <summary>True when the hub method threw (or the invocation was otherwise refused).</summary>
    public bool IsError => Error is not null;
}

/// <summary>Receives server-to-client invocations. <paramref name="arguments"/> is the raw encoded argument array and is only valid during the call.</summary>
[SuppressMessage("Naming", "CA1711", Justification = "It handles server events; it is not an EventHandler-pattern delegate and is not used with events.")]
public delegate void ServerEventHandler(string target, ReadOnlySpan<byte> arguments);

/// <summary>The connection was closed by the server or failed.</summary>
public sealed class HubConnectionClosedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HubConnectionClosedException() : base("The hub connection is closed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public HubConnectionClosedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public HubConnectionClosedException(string message, Exception inner) : base(message, inner) { }
}
