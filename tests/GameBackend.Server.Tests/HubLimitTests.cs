using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using GameBackend.Contracts;
using GameBackend.Server.Realtime;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GameBackend.Server.Tests;

/// <summary>Issue 12, findings 4 and 7 on the hub: each limit holds, answers clearly and leaves other connections alone.</summary>
public sealed class HubLimitTests
{
    private static long NowMs(TestServer server) => server.Time.GetUtcNow().ToUnixTimeMilliseconds();

    [Theory]
    [InlineData(WireProtocol.Json)]
    [InlineData(WireProtocol.MessagePack)]
    public async Task Throws_beyond_the_burst_are_answered_rateLimited_until_the_bucket_refills(WireProtocol protocol)
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Limits:ThrowBurst"] = "3",
            ["Limits:ThrowsPerSecond"] = "1",
        });
        await using var player = await server.ConnectPlayerAsync(protocol);

        Task<CaptureResult> Throw(int n) => player.Connection.InvokeAsync<CaptureResult>(
            HubMethods.TryCapture, new CaptureRequest { CreatureId = "no-such-creature", AttemptId = "attempt-" + n }).WaitAsync(TestServer.Timeout);

        for (var i = 0; i < 3; i++)
        {
            Assert.NotEqual(HubGuard.ThrowRateLimited, (await Throw(i)).Outcome);
        }

        var limited = await Throw(3);
        Assert.Equal(HubGuard.ThrowRateLimited, limited.Outcome);
        Assert.Equal("attempt-3", limited.AttemptId);

        // Another connection has its own bucket.
        await using var other = await server.ConnectPlayerAsync(protocol);
        Assert.NotEqual(HubGuard.ThrowRateLimited, (await other.Connection.InvokeAsync<CaptureResult>(
            HubMethods.TryCapture, new CaptureRequest { CreatureId = "no-such-creature", AttemptId = "x" }).WaitAsync(TestServer.Timeout)).Outcome);

        server.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotEqual(HubGuard.ThrowRateLimited, (await Throw(4)).Outcome);
    }

    [Fact]
    public async Task A_player_holds_at_most_its_connection_cap_and_gets_429_beyond_it()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Limits:MaxConnectionsPerPlayer"] = "2" });
        var login = await server.LoginAsync();
        await using var first = server.BuildConnection(login.Token, WireProtocol.Json);
        await using var second = server.BuildConnection(login.Token, WireProtocol.MessagePack);
        await first.StartAsync().WaitAsync(TestServer.Timeout);
        await second.StartAsync().WaitAsync(TestServer.Timeout);

        await using var third = server.BuildConnection(login.Token, WireProtocol.Json);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => third.StartAsync().WaitAsync(TestServer.Timeout));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        // Other players are not affected, and a freed place can be taken again.
        await using var stranger = await server.ConnectPlayerAsync(WireProtocol.Json);
        await second.DisposeAsync();
        await EventuallyAsync(() => server.Services.GetRequiredService<ConnectionQuotas>().ConnectionsOf(login.PlayerId) < 2);
        await using var again = server.BuildConnection(login.Token, WireProtocol.Json);
        await again.StartAsync().WaitAsync(TestServer.Timeout);
    }

    [Fact]
    public async Task One_address_holds_at_most_its_connection_cap_unless_loopback_is_exempt()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Limits:MaxConnectionsPerIp"] = "2",
            ["Limits:ExemptLoopback"] = "false",
        });
        await using var a = await server.ConnectPlayerAsync(WireProtocol.Json);
        await using var b = await server.ConnectPlayerAsync(WireProtocol.Json);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => server.ConnectPlayerAsync(WireProtocol.Json));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        await using var exempt = await TestServer.StartAsync(new Dictionary<string, string?> { ["Limits:MaxConnectionsPerIp"] = "2" });
        var players = new List<TestPlayer>();
        for (var i = 0; i < 3; i++)
        {
            players.Add(await exempt.ConnectPlayerAsync(WireProtocol.Json));
        }

        foreach (var p in players)
        {
            await p.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(WireProtocol.Json)]
    [InlineData(WireProtocol.MessagePack)]
    public async Task A_second_open_stream_on_one_connection_is_refused_and_the_first_keeps_working(WireProtocol protocol)
    {
        await using var server = await TestServer.StartAsync();
        await using var player = await server.ConnectPlayerAsync(protocol);
        var first = Channel.CreateUnbounded<LocationUpdate>();
        await player.Connection.SendAsync(HubMethods.StreamLocation, first.Reader).WaitAsync(TestServer.Timeout);
        await first.Writer.WriteAsync(new LocationUpdate { Seq = 1, Timestamp = NowMs(server), Latitude = 30, Longitude = 30 });
        await EventuallyAsync(async () => (await player.GetStateAsync()).Seq == 1);

        var second = Channel.CreateUnbounded<LocationUpdate>();
        var error = await Assert.ThrowsAsync<HubException>(() =>
            player.Connection.InvokeAsync(HubMethods.StreamLocation, second.Reader).WaitAsync(TestServer.Timeout));
        Assert.Contains("At most 1 StreamLocation", error.Message);

        server.Time.Advance(TimeSpan.FromSeconds(2));
        await first.Writer.WriteAsync(new LocationUpdate { Seq = 2, Timestamp = NowMs(server), Latitude = 30.0001, Longitude = 30 });
        await EventuallyAsync(async () => (await player.GetStateAsync()).Seq == 2);
        first.Writer.Complete();
    }

    [Theory]
    [InlineData(WireProtocol.Json)]
    [InlineData(WireProtocol.MessagePack)]
    public async Task A_seq_near_the_maximum_is_refused_and_does_not_lock_the_player_out(WireProtocol protocol)
    {
        await using var server = await TestServer.StartAsync();
        await using var player = await server.ConnectPlayerAsync(protocol);
        var huge = await player.UpdateAsync(new LocationUpdate { Seq = long.MaxValue, Timestamp = NowMs(server), Latitude = 40, Longitude = 40 });
        Assert.False(huge.Accepted);
        Assert.Equal(HubGuard.ImplausibleSequence, huge.Reason);

        var normal = await player.UpdateAsync(new LocationUpdate { Seq = 1, Timestamp = NowMs(server), Latitude = 40, Longitude = 40 });
        Assert.True(normal.Accepted, normal.Reason);

        // A big but plausible step is fine; the same huge seq on a stream is rejected item by item.
        server.Time.Advance(TimeSpan.FromSeconds(2));
        var step = await player.UpdateAsync(new LocationUpdate { Seq = 500_000, Timestamp = NowMs(server), Latitude = 40.0001, Longitude = 40 });
        Assert.True(step.Accepted, step.Reason);

        var rejected = new TaskCompletionSource<LocationRejected>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = player.Connection.On<LocationRejected>(GameEvents.LocationRejected, r => rejected.TrySetResult(r));
        var stream = Channel.CreateUnbounded<LocationUpdate>();
        await player.Connection.SendAsync(HubMethods.StreamLocation, stream.Reader).WaitAsync(TestServer.Timeout);
        server.Time.Advance(TimeSpan.FromSeconds(2));
        await stream.Writer.WriteAsync(new LocationUpdate { Seq = long.MaxValue - 1, Timestamp = NowMs(server), Latitude = 40.0002, Longitude = 40 });
        var r = await rejected.Task.WaitAsync(TestServer.Timeout);
        Assert.Equal(HubGuard.ImplausibleSequence, r.Reason);
        await stream.Writer.WriteAsync(new LocationUpdate { Seq = 500_001, Timestamp = NowMs(server), Latitude = 40.0002, Longitude = 40 });
        await EventuallyAsync(async () => (await player.GetStateAsync()).Seq == 500_001);
        stream.Writer.Complete();
    }

    [Theory]
    [InlineData(WireProtocol.Json)]
    [InlineData(WireProtocol.MessagePack)]
    public async Task A_flood_is_answered_before_the_player_grain_and_a_persistent_flooder_is_disconnected(WireProtocol protocol)
    {
        var calls = new GrainCallCounter();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string?> { ["Limits:FloodRejections"] = "20" },
            services => services.AddSingleton<Orleans.IIncomingGrainCallFilter>(calls));
        await using var flooder = await server.ConnectPlayerAsync(protocol);
        await using var bystander = await server.ConnectPlayerAsync(protocol);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        flooder.Connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        // Game time stands still: the default bucket (10, plus one of slack) empties and stays empty.
        var answers = new List<LocationAck>();
        for (var seq = 1; seq <= 30; seq++)
        {
            answers.Add(await flooder.UpdateAsync(new LocationUpdate { Seq = seq, Timestamp = NowMs(server), Latitude = 50, Longitude = 50 }));
        }

        Assert.All(answers.Skip(11), a => Assert.Equal(RejectReasons.RateLimited, a.Reason));
        // Only the fixes inside the bucket reached the player grain.
        Assert.Equal(11, calls.UpdateLocationCalls(flooder.PlayerId));

        // The 20th refusal within the window closes the connection; the flooder's next call fails.
        for (var seq = 31; !closed.Task.IsCompleted && seq < 60; seq++)
        {
            try
            {
                await flooder.UpdateAsync(new LocationUpdate { Seq = seq, Timestamp = NowMs(server), Latitude = 50, Longitude = 50 });
            }
            catch (Exception ex) when (ex is InvalidOperationException or TaskCanceledException or HubException)
            {
                break;
            }
        }

        await closed.Task.WaitAsync(TestServer.Timeout);
        Assert.True((await bystander.MoveToAsync(50, 50.001, NowMs(server))).Accepted);
    }

    [Fact]
    public async Task A_connection_that_sends_nothing_after_the_handshake_is_closed_and_one_that_talks_stays()
    {
        var transportTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(
            configureServices: services => services.AddKeyedSingleton<TimeProvider>(ConnectionLiveness.ClockKey, transportTime));
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        using var silent = await RawHub.ConnectAsync(server, "json", cts.Token);
        using var chatty = await RawHub.ConnectAsync(server, "json", cts.Token);

        transportTime.Advance(TimeSpan.FromSeconds(20));
        await chatty.InvokeAsync("1", HubMethods.GetState, cts.Token);
        transportTime.Advance(TimeSpan.FromSeconds(15)); // silent: 35 s since its handshake; chatty: 15 s since its call
        server.Services.GetRequiredService<ConnectionLiveness>().CloseSilent();

        Assert.StartsWith("close", await silent.ReceiveAsync(cts.Token));
        Assert.Contains("\"invocationId\":\"2\"", await chatty.InvokeAsync("2", HubMethods.GetState, cts.Token));
    }

    [Fact]
    public async Task A_stream_that_ends_with_its_connection_logs_no_error()
    {
        var logs = new RecordingLoggerProvider();
        await using var server = await TestServer.StartAsync(configureServices: services => services.AddSingleton<ILoggerProvider>(logs));
        var liveness = server.Services.GetRequiredService<ConnectionLiveness>();
        var player = await server.ConnectPlayerAsync(WireProtocol.MessagePack);
        var stream = Channel.CreateUnbounded<LocationUpdate>();
        await player.Connection.SendAsync(HubMethods.StreamLocation, stream.Reader).WaitAsync(TestServer.Timeout);
        await stream.Writer.WriteAsync(new LocationUpdate { Seq = 1, Timestamp = NowMs(server), Latitude = 60, Longitude = 60 });
        await EventuallyAsync(async () => (await player.GetStateAsync()).Seq == 1);

        await player.DisposeAsync();
        await EventuallyAsync(() => liveness.Count == 0);
        await EventuallyAsync(() => server.Services.GetRequiredService<ConnectionQuotas>().ConnectionsOf(player.PlayerId) == 0);

        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Category + ": " + e.Message).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData("json", "{\"type\":2,\"invocationId\":\"s1\",\"item\":{\"seq\":\"two\",\"latitude\":\"north\"}}\u001e")]
    public async Task A_stream_item_of_the_wrong_type_ends_that_stream_with_the_documented_error_and_a_null_item_is_rejected_alone(string protocol, string badItem)
    {
        await using var server = await TestServer.StartAsync();
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        using var hub = await RawHub.ConnectAsync(server, protocol, cts.Token);
        await hub.SendAsync("{\"type\":1,\"invocationId\":\"c1\",\"target\":\"StreamLocation\",\"arguments\":[],\"streamIds\":[\"s1\"]}\u001e", cts.Token);
        var now = NowMs(server);
        await hub.SendAsync($"{{\"type\":2,\"invocationId\":\"s1\",\"item\":{{\"seq\":1,\"timestamp\":{now},\"latitude\":61,\"longitude\":61}}}}\u001e", cts.Token);
        await hub.SendAsync("{\"type\":2,\"invocationId\":\"s1\",\"item\":null}\u001e", cts.Token);
        var rejected = await hub.ReceiveAsync(cts.Token);
        Assert.True(rejected.Contains("locationRejected", StringComparison.Ordinal), rejected);
        Assert.Contains(RejectReasons.Malformed, rejected);

        await hub.SendAsync(badItem, cts.Token);
        var completion = await hub.ReceiveAsync(cts.Token);
        Assert.True(completion.Contains("\"invocationId\":\"c1\"", StringComparison.Ordinal), completion);
        Assert.Contains(HubGuard.UnreadableStreamItem, completion);

        // The connection carries on.
        Assert.Contains("\"invocationId\":\"g1\"", await hub.InvokeAsync("g1", HubMethods.GetState, cts.Token));
    }

    private static async Task EventuallyAsync(Func<bool> condition) => await EventuallyAsync(() => Task.FromResult(condition()));

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (!await condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }
}

/// <summary>Counts calls into player grains per player (an Orleans incoming call filter on the real silo).</summary>
internal sealed class GrainCallCounter : Orleans.IIncomingGrainCallFilter
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _updates = new();

    public int UpdateLocationCalls(string playerId) => _updates.TryGetValue(playerId, out var n) ? n : 0;

    public Task Invoke(Orleans.IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.Name == nameof(Players.IPlayerGrain.UpdateLocation))
        {
            _updates.AddOrUpdate(context.TargetId.Key.ToString()!, 1, (_, n) => n + 1);
        }

        return context.Invoke();
    }
}

/// <summary>A SignalR connection spoken by hand over a raw WebSocket (JSON protocol), as a hostile client would.</summary>
internal sealed class RawHub : IDisposable
{
    private readonly ClientWebSocket _socket = new();

    public static async Task<RawHub> ConnectAsync(TestServer server, string protocol, CancellationToken cancellationToken)
    {
        var login = await server.LoginAsync();
        var hub = new RawHub();
        var uri = new UriBuilder(new Uri(server.BaseAddress, HubMethods.Path)) { Scheme = "ws", Query = "access_token=" + login.Token }.Uri;
        await hub._socket.ConnectAsync(uri, cancellationToken);
        await hub.SendAsync($"{{\"protocol\":\"{protocol}\",\"version\":1}}\u001e", cancellationToken);
        Assert.Equal("{}\u001e", await hub.ReceiveAsync(cancellationToken));
        return hub;
    }

    public WebSocketState State => _socket.State;

    public Task SendAsync(string text, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);

    public Task SendBinaryAsync(byte[] bytes, CancellationToken cancellationToken) =>
        _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, cancellationToken);

    /// <summary>Invokes a method without arguments and returns the completion for it.</summary>
    public async Task<string> InvokeAsync(string invocationId, string method, CancellationToken cancellationToken)
    {
        await SendAsync($"{{\"type\":1,\"invocationId\":\"{invocationId}\",\"target\":\"{method}\",\"arguments\":[]}}\u001e", cancellationToken);
        while (true)
        {
            var reply = await ReceiveAsync(cancellationToken);
            if (reply.Contains($"\"invocationId\":\"{invocationId}\"", StringComparison.Ordinal) || reply.StartsWith("close", StringComparison.Ordinal))
            {
                return reply;
            }
        }
    }

    /// <summary>The next message other than a keep-alive ping, or "close:…" when the server closed.</summary>
    public async Task<string> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var total = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(buffer.AsMemory(total), cancellationToken);
            }
            catch (WebSocketException ex)
            {
                return "close:" + ex.WebSocketErrorCode;
            }

            total += result.Count;
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return "close:" + _socket.CloseStatusDescription;
            }

            if (result.EndOfMessage)
            {
                var text = Encoding.UTF8.GetString(buffer, 0, total);
                if (text == "{\"type\":6}\u001e")
                {
                    total = 0;
                    continue;
                }

                return text;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
