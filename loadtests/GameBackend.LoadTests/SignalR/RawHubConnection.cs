using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace GameBackend.LoadTests.SignalR;

/// <summary>
/// A cheap SignalR client: the hub protocol spoken directly over <see cref="ClientWebSocket"/> with
/// pre-encoded arguments. One send loop (which coalesces queued frames into one WebSocket message)
/// and one receive loop per connection; buffers come from <see cref="ArrayPool{T}"/>.
/// </summary>
public sealed class RawHubConnection : IAsyncDisposable
{
    private const int InitialReceiveBuffer = 4096;
    private const int SendBatchBytes = 16 * 1024;

    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 256,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    private readonly ClientWebSocket _socket;
    private readonly Channel<Frame> _sendQueue = Channel.CreateUnbounded<Frame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<long, PendingInvocation> _pending = new();
    private readonly CancellationTokenSource _closed = new();
    private int _disposed;
    private Task _sendLoop = Task.CompletedTask;
    private Task _receiveLoop = Task.CompletedTask;
    private long _nextId;
    private long _bytesSent;
    private long _bytesReceived;
    private long _eventsReceived;
    private Exception? _closeReason;

    private RawHubConnection(ClientWebSocket socket, HubProtocol protocol)
    {
        _socket = socket;
        Protocol = protocol;
    }

    private static long s_totalBytesSent;
    private static long s_totalBytesReceived;

    /// <summary>Bytes written by every connection of this process (the report's bytes per update).</summary>
    public static long TotalBytesSent => Volatile.Read(ref s_totalBytesSent);

    /// <summary>Bytes read by every connection of this process.</summary>
    public static long TotalBytesReceived => Volatile.Read(ref s_totalBytesReceived);

    /// <summary>The protocol negotiated in the handshake.</summary>
    public HubProtocol Protocol { get; }

    /// <summary>Called on the receive loop for every server-to-client invocation (e.g. <c>creatureSpawned</c>). Keep it short.</summary>
    public ServerEventHandler? OnEvent { get; set; }

    /// <summary>Bytes written to the socket.</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>Bytes read from the socket.</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Server-to-client invocations received.</summary>
    public long EventsReceived => Volatile.Read(ref _eventsReceived);

    /// <summary>Invocations awaiting a completion.</summary>
    public int PendingInvocations => _pending.Count;

    /// <summary>Completes when the connection closes.</summary>
    public Task Closed => _receiveLoop;

    /// <summary>
    /// Negotiates (unless <paramref name="skipNegotiation"/>), opens the WebSocket and completes the handshake.
    /// <paramref name="hubUrl"/> is the http(s) URL of the hub, e.g. <c>http://127.0.0.1:5080/hubs/game</c>.
    /// </summary>
    public static async Task<RawHubConnection> ConnectAsync(Uri hubUrl, string? accessToken, HubProtocol protocol, CancellationToken cancellationToken, bool skipNegotiation = false)
    {
        string? connectionToken = null;
        if (!skipNegotiation)
        {
            connectionToken = await NegotiateAsync(hubUrl, accessToken, cancellationToken);
        }

        var ws = new ClientWebSocket();
        ws.Options.KeepAliveInterval = TimeSpan.Zero; // SignalR pings do liveness
        ws.Options.SetBuffer(1024, 1024);
        var query = new List<string>();
        if (connectionToken is not null)
        {
            query.Add("id=" + Uri.EscapeDataString(connectionToken));
        }

        if (accessToken is not null)
        {
            query.Add("access_token=" + Uri.EscapeDataString(accessToken));
        }

        var wsUrl = new UriBuilder(hubUrl)
        {
            Scheme = hubUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Query = string.Join('&', query),
        }.Uri;

        var connection = new RawHubConnection(ws, protocol);
        try
        {
            await ws.ConnectAsync(wsUrl, cancellationToken);
            await ws.SendAsync(HubFrames.Handshake(protocol), WebSocketMessageType.Text, true, cancellationToken);
            var leftover = await ReadHandshakeAsync(ws, cancellationToken);
            connection._sendLoop = connection.SendLoopAsync();
            connection._receiveLoop = connection.ReceiveLoopAsync(leftover);
            return connection;
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }

    private static async Task<string> NegotiateAsync(Uri hubUrl, string? accessToken, CancellationToken cancellationToken)
    {
        var url = new UriBuilder(hubUrl) { Path = hubUrl.AbsolutePath.TrimEnd('/') + "/negotiate", Query = "negotiateVersion=1" }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        using var response = await Http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var doc = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        if (doc.RootElement.TryGetProperty("error", out var error))
        {
            throw new HubConnectionClosedException("Negotiation failed: " + error.GetString());
        }

        return doc.RootElement.TryGetProperty("connectionToken", out var token) ? token.GetString()!
            : doc.RootElement.GetProperty("connectionId").GetString()!;
    }

    private static async Task<byte[]> ReadHandshakeAsync(ClientWebSocket ws, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var r = await ws.ReceiveAsync(buffer.AsMemory(filled), cancellationToken);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                throw new HubConnectionClosedException("Closed during handshake.");
            }

            filled += r.Count;
            var end = Array.IndexOf(buffer, HubFrames.RecordSeparator, 0, filled);
            if (end < 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(buffer.AsMemory(0, end));
            if (doc.RootElement.TryGetProperty("error", out var error))
            {
                throw new HubConnectionClosedException("Handshake failed: " + error.GetString());
            }

            return buffer[(end + 1)..filled];
        }
    }

    /// <summary>
    /// Invokes <paramref name="target"/> with pre-encoded <paramref name="arguments"/> (JSON: comma-separated values;
    /// MessagePack: <paramref name="argumentCount"/> concatenated values) and completes with the server's completion.
    /// </summary>
    public Task<Completion> InvokeAsync(string target, ReadOnlySpan<byte> arguments, int argumentCount = 1, CancellationToken cancellationToken = default)
    {
        if (_closeReason is not null || _closed.IsCancellationRequested)
        {
            return Task.FromException<Completion>(new HubConnectionClosedException("The hub connection is closed.", _closeReason!));
        }

        var id = Interlocked.Increment(ref _nextId);
        var pending = new PendingInvocation();
        _pending[id] = pending;
        if (cancellationToken.CanBeCanceled)
        {
            // Disposed when the completion arrives (no continuation task per call).
            pending.Registration = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (self, invocationId) = ((RawHubConnection, long))state!;
                if (self._pending.TryRemove(invocationId, out var p))
                {
                    p.TrySetCanceled(token);
                }
            }, (this, id));
        }

        Enqueue(id, target, arguments, argumentCount);
        return pending.Task;
    }

    /// <summary>Sends a non-blocking invocation (no completion expected).</summary>
    public void Send(string target, ReadOnlySpan<byte> arguments, int argumentCount = 1)
    {
        if (_closeReason is not null || _closed.IsCancellationRequested)
        {
            throw new HubConnectionClosedException("The hub connection is closed.", _closeReason!);
        }

        Enqueue(-1, target, arguments, argumentCount);
    }

    private void Enqueue(long id, string target, ReadOnlySpan<byte> arguments, int argumentCount)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HubFrames.MaxFrameLength(target, arguments.Length));
        var length = HubFrames.WriteInvocation(Protocol, buffer, id, target, arguments, argumentCount);
        if (!_sendQueue.Writer.TryWrite(new Frame(buffer, length, Pooled: true)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (id >= 0 && _pending.TryRemove(id, out var tcs))
            {
                tcs.TrySetException(new HubConnectionClosedException());
            }
        }
    }

    private async Task SendLoopAsync()
    {
        var type = Protocol == HubProtocol.Json ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
        var reader = _sendQueue.Reader;
        var batch = ArrayPool<byte>.Shared.Rent(SendBatchBytes);
        try
        {
            while (await reader.WaitToReadAsync(_closed.Token))
            {
                // Coalesce everything queued into one WebSocket message: the server parses the hub
                // protocol as a byte stream, so frame boundaries need not match message boundaries.
                var filled = 0;
                while (reader.TryPeek(out var frame))
                {
                    if (filled > 0 && filled + frame.Length > batch.Length)
                    {
                        break;
                    }

                    reader.TryRead(out frame);
                    if (frame.Length > batch.Length)
                    {
                        await _socket.SendAsync(frame.Buffer.AsMemory(0, frame.Length), type, true, _closed.Token);
                        Interlocked.Add(ref _bytesSent, frame.Length);
                        Interlocked.Add(ref s_totalBytesSent, frame.Length);
                        frame.Return();
                        break;
                    }

                    frame.Buffer.AsSpan(0, frame.Length).CopyTo(batch.AsSpan(filled));
                    filled += frame.Length;
                    frame.Return();
                }

                if (filled > 0)
                {
                    await _socket.SendAsync(batch.AsMemory(0, filled), type, true, _closed.Token);
                    Interlocked.Add(ref _bytesSent, filled);
                    Interlocked.Add(ref s_totalBytesSent, filled);
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
            while (reader.TryRead(out var frame))
            {
                frame.Return();
            }
        }
    }

    private async Task ReceiveLoopAsync(byte[] leftover)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(InitialReceiveBuffer, leftover.Length * 2));
        leftover.CopyTo(buffer, 0);
        var filled = leftover.Length;
        try
        {
            filled = ProcessBuffer(buffer, filled);
            while (!_closed.IsCancellationRequested)
            {
                if (filled == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var r = await _socket.ReceiveAsync(buffer.AsMemory(filled), _closed.Token);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    Fail(new HubConnectionClosedException("The server closed the WebSocket."));
                    break;
                }

                Interlocked.Add(ref _bytesReceived, r.Count);
                Interlocked.Add(ref s_totalBytesReceived, r.Count);
                filled = ProcessBuffer(buffer, filled + r.Count);
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Handles every complete message in buffer[..filled]; moves the incomplete tail to the front and returns its length.</summary>
    private int ProcessBuffer(byte[] buffer, int filled)
    {
        var offset = 0;
        while (offset < filled)
        {
            int consumed;
            if (Protocol == HubProtocol.Json)
            {
                var end = Array.IndexOf(buffer, HubFrames.RecordSeparator, offset, filled - offset);
                if (end < 0)
                {
                    break;
                }

                Handle(HubMessage.ParseJson(buffer.AsSpan(offset, end - offset)), end + 1 - offset);
                consumed = end + 1 - offset;
            }
            else
            {
                if (!HubFrames.TryReadVarInt(buffer.AsSpan(offset, filled - offset), out var length, out var prefix) || filled - offset - prefix < length)
                {
                    break;
                }

                Handle(HubMessage.ParseMsgPack(buffer.AsMemory(offset + prefix, length)), prefix + length);
                consumed = prefix + length;
            }

            offset += consumed;
        }

        if (offset > 0 && offset < filled)
        {
            buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
        }

        return filled - offset;
    }

    private void Handle(HubMessage message, int frameBytes)
    {
        switch (message.Type)
        {
            case HubFrames.CompletionType:
                if (_pending.TryRemove(message.InvocationId, out var tcs))
                {
                    tcs.Registration.Dispose();
                    tcs.TrySetResult(new Completion(message.Error, message.HasResult, message.HasResult ? message.Payload.ToArray() : default, frameBytes));
                }

                break;
            case HubFrames.Invocation:
                Interlocked.Increment(ref _eventsReceived);
                OnEvent?.Invoke(message.Target ?? "", message.Payload);
                break;
            case HubFrames.Ping:
                var ping = Protocol == HubProtocol.Json ? HubFrames.JsonPing : HubFrames.MsgPackPing;
                _sendQueue.Writer.TryWrite(new Frame(ping, ping.Length, Pooled: false));
                break;
            case HubFrames.Close:
                Fail(new HubConnectionClosedException("The server closed the connection" + (message.Error is null ? "." : ": " + message.Error)));
                break;
        }
    }

    private void Fail(Exception reason)
    {
        _closeReason ??= reason;
        _sendQueue.Writer.TryComplete();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var tcs))
            {
                tcs.TrySetException(new HubConnectionClosedException("The hub connection closed.", reason));
            }
        }
    }

    /// <summary>Closes the WebSocket politely (bounded by a short timeout) and releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        // Both the reconnector (a lost connection) and the scenario's clean may dispose it.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Fail(new HubConnectionClosedException("Disposed."));
        try
        {
            // The send loop ends once the completed queue is drained; only then may the close frame be sent
            // (a WebSocket allows one send at a time).
            await _sendLoop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (_socket.State == WebSocketState.Open && _sendLoop.IsCompleted)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }

        await _closed.CancelAsync();
        await Task.WhenAll(_sendLoop, _receiveLoop).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _closed.Dispose();
    }

    private sealed class PendingInvocation() : TaskCompletionSource<Completion>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public CancellationTokenRegistration Registration;
    }

    private readonly record struct Frame(byte[] Buffer, int Length, bool Pooled)
    {
        public void Return()
        {
            if (Pooled)
            {
                ArrayPool<byte>.Shared.Return(Buffer);
            }
        }
    }
}
