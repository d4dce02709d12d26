using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using GameBackend.Contracts;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GameBackend.Cluster.Tests.Infrastructure;

public enum WireProtocol
{
    Json,
    MessagePack,
}

/// <summary>One accepted fix as the client saw it: which node answered, when it was sent and when the ack came.</summary>
public readonly record struct AcceptedFix(string PlayerId, long Seq, string Node, DateTimeOffset SentAt, DateTimeOffset AckedAt)
{
    public override string ToString() => $"{PlayerId}#{Seq} via {Node}, sent {SentAt:HH:mm:ss.fff}, acked {AckedAt:HH:mm:ss.fff}";
}

/// <summary>
/// A real SignalR .NET client behind the test's <see cref="NodeRouter"/>: WebSockets only with
/// negotiation skipped (what a sticky-less load balancer needs), the client's own automatic
/// reconnect, and the recovery a phone should do after any reconnect — re-send the last position
/// with a higher seq and refresh what is nearby.
/// </summary>
public sealed class ClusterPlayer : IAsyncDisposable
{
    private static readonly TimeSpan[] ReconnectDelays = [TimeSpan.Zero, .. Enumerable.Repeat(TimeSpan.FromMilliseconds(250), 120)];

    private readonly NodeRouter _router;
    private readonly LoginResponse _login;
    private readonly ConcurrentQueue<CreatureSpawned> _spawned = new();
    private readonly ConcurrentQueue<CreatureCaptured> _captured = new();
    private ClusterNode? _node;
    private ClusterNode? _first;
    private long _seq;
    private int _shutdownNotices;
    private int _reconnects;
    private int _recoveredAt;
    private (double Latitude, double Longitude)? _last;

    private ClusterPlayer(NodeRouter router, LoginResponse login, WireProtocol protocol)
    {
        _router = router;
        _login = login;
        Protocol = protocol;
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(router.All[0].BaseAddress, HubMethods.Path), o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                o.WebSocketFactory = ConnectThroughRouterAsync;
            })
            .WithAutomaticReconnect(new FixedRetryPolicy(ReconnectDelays));
        if (protocol == WireProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }
        else
        {
            builder.AddJsonProtocol();
        }

        Connection = builder.Build();
        Connection.ServerTimeout = TimeSpan.FromSeconds(30);
        Connection.On<CreatureSpawned>(GameEvents.CreatureSpawned, _spawned.Enqueue);
        Connection.On<CreatureCaptured>(GameEvents.CreatureCaptured, _captured.Enqueue);
        Connection.On<ServerShutdown>(GameEvents.ServerShutdown, _ => Interlocked.Increment(ref _shutdownNotices));
        Connection.Reconnected += _ => { Interlocked.Increment(ref _reconnects); return Task.CompletedTask; };
    }

    public string PlayerId => _login.PlayerId;

    public WireProtocol Protocol { get; }

    public HubConnection Connection { get; }

    /// <summary>The node this client's WebSocket went to last.</summary>
    public ClusterNode Node => Volatile.Read(ref _node) ?? throw new InvalidOperationException("Not connected yet.");

    public IReadOnlyCollection<CreatureSpawned> Spawned => _spawned;

    public IReadOnlyCollection<CreatureCaptured> Captured => _captured;

    public int ShutdownNotices => Volatile.Read(ref _shutdownNotices);

    /// <summary>Automatic reconnects plus restarts after a close.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Hub errors from the server (not transport losses): these must not happen.</summary>
    public ConcurrentQueue<string> ServerErrors { get; } = new();

    /// <summary>Calls lost with the connection (dropped node, reconnect): expected around a failure.</summary>
    public ConcurrentQueue<string> TransportErrors { get; } = new();

    public ConcurrentQueue<AcceptedFix> Accepted { get; } = new();

    /// <summary>Logs in and connects, the first time to <paramref name="first"/> if given; reconnects always go through the router.</summary>
    public static async Task<ClusterPlayer> ConnectAsync(NodeRouter router, WireProtocol protocol, ClusterNode? first = null)
    {
        var loginNode = first ?? router.Pick();
        using var response = await loginNode.Http.PostAsJsonAsync("/api/players/login",
            new LoginRequest { DeviceId = "device-" + Guid.NewGuid().ToString("N"), DisplayName = "Cluster tester" });
        response.EnsureSuccessStatusCode();
        var login = (await response.Content.ReadFromJsonAsync<LoginResponse>())!;
        var player = new ClusterPlayer(router, login, protocol) { _first = first };
        await player.Connection.StartAsync().WaitAsync(TestCluster.Timeout);
        return player;
    }

    /// <summary>Sends a fix with the next seq; records it when the server accepted it.</summary>
    public async Task<LocationAck> UpdateAsync(double latitude, double longitude)
    {
        var seq = Interlocked.Increment(ref _seq);
        var node = Node;
        var sentAt = DateTimeOffset.UtcNow;
        var ack = await Connection.InvokeAsync<LocationAck>(HubMethods.UpdateLocation, new LocationUpdate
        {
            Seq = seq,
            Timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Latitude = latitude,
            Longitude = longitude,
            Accuracy = 5,
        }).WaitAsync(TestCluster.Timeout);
        _last = (latitude, longitude);
        if (ack.Accepted)
        {
            Accepted.Enqueue(new AcceptedFix(PlayerId, seq, node.Name, sentAt, DateTimeOffset.UtcNow));
        }

        return ack;
    }

    public Task<NearbyCreature[]> GetNearbyAsync() =>
        Connection.InvokeAsync<NearbyCreature[]>(HubMethods.GetNearby).WaitAsync(TestCluster.Timeout);

    public Task<CaptureResult> TryCaptureAsync(string creatureId, string attemptId) =>
        Connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture, new CaptureRequest { CreatureId = creatureId, AttemptId = attemptId })
            .WaitAsync(TestCluster.Timeout);

    /// <summary>
    /// What a phone does on <c>serverShutdown</c>: close this connection and open a new one at once
    /// (the load balancer no longer routes to the stopping node), then recover.
    /// </summary>
    public async Task ReconnectNowAsync()
    {
        await Connection.StopAsync().WaitAsync(TestCluster.Timeout);
        await EnsureConnectedAsync();
    }

    /// <summary>
    /// Waits out an automatic reconnect, or restarts the connection if the server closed it for good;
    /// after any new connection re-sends the last position (higher seq) and refreshes nearby.
    /// </summary>
    public async Task EnsureConnectedAsync()
    {
        using var cts = new CancellationTokenSource(TestCluster.Timeout);
        while (Connection.State != HubConnectionState.Connected)
        {
            if (Connection.State == HubConnectionState.Disconnected)
            {
                try
                {
                    await Connection.StartAsync(cts.Token);
                    Interlocked.Increment(ref _reconnects);
                    continue;
                }
                catch (Exception ex) when (ex is HttpRequestException or WebSocketException or InvalidOperationException or IOException)
                {
                    // The node picked went away between the pick and the connect; pick again.
                }
            }

            await Task.Delay(50, cts.Token);
        }

        var reconnects = Reconnects;
        if (reconnects != _recoveredAt && _last is { } last)
        {
            _recoveredAt = reconnects;
            await RecoverAsync(last);
        }
    }

    /// <summary>The recovery after a reconnect: re-send the last position with a higher seq, then ask what is near.</summary>
    public async Task RecoverAsync((double Latitude, double Longitude) last)
    {
        await UpdateAsync(last.Latitude, last.Longitude);
        await GetNearbyAsync();
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    private async ValueTask<WebSocket> ConnectThroughRouterAsync(WebSocketConnectionContext context, CancellationToken cancellationToken)
    {
        var node = Interlocked.Exchange(ref _first, null) ?? _router.Pick();
        var uri = new UriBuilder(context.Uri) { Host = node.BaseAddress.Host, Port = node.BaseAddress.Port }.Uri;
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + _login.Token);
        try
        {
            await socket.ConnectAsync(uri, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        Volatile.Write(ref _node, node);
        return socket;
    }

    private sealed class FixedRetryPolicy(TimeSpan[] delays) : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            retryContext.PreviousRetryCount < delays.Length ? delays[retryContext.PreviousRetryCount] : null;
    }
}

/// <summary>Sorts a failed hub call into "the server failed" and "the connection went away".</summary>
public static class CallFailures
{
    public static bool IsServerError(Exception ex) => ex is HubException;
}
