using Microsoft.AspNetCore.Http.Connections;
using Microsoft.Extensions.Logging;

namespace GameBackend.Client;

/// <summary>The SignalR wire protocol a <see cref="GameClient"/> speaks; the server accepts both.</summary>
public enum GameProtocol
{
    /// <summary>JSON text frames: easiest to debug.</summary>
    Json,

    /// <summary>MessagePack binary frames: smaller and cheaper to parse.</summary>
    MessagePack,
}

/// <summary>Where a <see cref="GameClient"/> stands.</summary>
public enum GameClientState
{
    /// <summary>Not connected and not trying to be: before <see cref="GameClient.ConnectAsync"/>, after <see cref="GameClient.DisconnectAsync"/>, or after a permanent failure.</summary>
    Disconnected,

    /// <summary><see cref="GameClient.ConnectAsync"/> is establishing the first connection.</summary>
    Connecting,

    /// <summary>Connected; after a reconnect, also re-synchronised (last position re-sent, nearby view refreshed).</summary>
    Connected,

    /// <summary>The connection was lost and the client is reconnecting by itself.</summary>
    Reconnecting,
}

/// <summary>Settings of a <see cref="GameClient"/>. Only <see cref="ServerUrl"/> and <see cref="DeviceId"/> are required.</summary>
public sealed class GameClientOptions
{
    /// <summary>The server's root address, for example <c>https://game.example.com/</c>; the hub and login paths are resolved against it.</summary>
    public Uri? ServerUrl { get; set; }

    /// <summary>A stable identifier of this device; with its <see cref="DeviceSecret"/> it always logs in as the same player.</summary>
    public string DeviceId { get; set; } = "";

    /// <summary>
    /// The secret the server returned at this device's first login (<see cref="GameClient.DeviceSecret"/>);
    /// null for a device that has not logged in yet.
    /// </summary>
    public string? DeviceSecret { get; set; }

    /// <summary>The name shown to other players, if any.</summary>
    public string? DisplayName { get; set; }

    /// <summary>The wire protocol. Defaults to <see cref="GameProtocol.Json"/>.</summary>
    public GameProtocol Protocol { get; set; } = GameProtocol.Json;

    /// <summary>
    /// Delay before reconnect attempt n (0-based); attempts past the end reuse the last entry and the
    /// client retries forever. Defaults to <see cref="BackoffRetryPolicy.DefaultDelays"/> (0, 1, 2, 5, 10, 20, 30 s).
    /// </summary>
    public IReadOnlyList<TimeSpan> ReconnectDelays { get; set; } = BackoffRetryPolicy.DefaultDelays;

    /// <summary>Relative jitter applied to every reconnect delay, in [0, 1). Defaults to 0.2 (±20 %).</summary>
    public double ReconnectJitter { get; set; } = BackoffRetryPolicy.DefaultJitter;

    /// <summary>A (re)connect logs in again when the token expires within this margin. Defaults to 5 minutes.</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Handler for the login request and SignalR's HTTP requests (negotiate, long polling); for tests.
    /// WebSockets do not go through it, so an in-memory handler also needs <see cref="Transports"/> set to long polling.
    /// The client never disposes it.
    /// </summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    /// <summary>The transports SignalR may use. Defaults to all of them (WebSockets first).</summary>
    public HttpTransportType Transports { get; set; } =
        HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;

    /// <summary>The device clock: fix timestamps, sequence numbers and token expiry. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logging for the client and its SignalR connection; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
