using System.Net;
using GameBackend.Client;
using GameBackend.Contracts;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using static GameBackend.Server.Tests.Client.ClientTestSupport;

namespace GameBackend.Server.Tests.Client;

/// <summary>The client SDK against the real server, once per protocol.</summary>
[Collection(ServerCollection.Name)]
public sealed class GameClientTests(ServerFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TestServer.Timeout;
    private TestServer Server => fixture.Server;

    public static TheoryData<GameProtocol> AllProtocols => Protocols;

    [Theory, MemberData(nameof(AllProtocols))]
    public async Task Connects_sends_fixes_with_increasing_sequence_numbers_and_reads_the_state(GameProtocol protocol)
    {
        await using var client = new GameClient(Options(Server, protocol));
        var nearby = Signal<IReadOnlyList<NearbyCreature>>();
        client.NearbyChanged += n => nearby.TrySetResult(n);

        await client.ConnectAsync().WaitAsync(Timeout);
        Assert.Equal(GameClientState.Connected, client.State);
        Assert.StartsWith("g-", client.PlayerId);

        var first = await client.UpdateLocationAsync(new LocationUpdate { Latitude = 52.520008, Longitude = 13.404954, Heading = 87.5 }).WaitAsync(Timeout);
        Assert.True(first.Accepted, first.Reason);
        Assert.True(first.Seq > 0);
        Assert.Same(first.Nearby, await nearby.Task.WaitAsync(Timeout));

        var second = await client.UpdateLocationAsync(new LocationUpdate { Latitude = 52.52001, Longitude = 13.404954 }).WaitAsync(Timeout);
        Assert.True(second.Accepted, second.Reason);
        Assert.True(second.Seq > first.Seq);

        var state = await client.GetStateAsync().WaitAsync(Timeout);
        Assert.Equal(client.PlayerId, state.PlayerId);
        Assert.Equal(second.Seq, state.Seq);
        Assert.Equal(52.52001, state.Latitude);
        Assert.Equal(second.CellId, state.CellId);
        Assert.Equal(52.52001, client.LastPosition?.Latitude);
        Assert.Equal(Server.Time.GetUtcNow().ToUnixTimeMilliseconds(), client.LastPosition?.Timestamp);
        Assert.NotNull(await client.GetNearbyAsync().WaitAsync(Timeout));
    }

    [Theory, MemberData(nameof(AllProtocols))]
    public async Task A_rejected_fix_is_not_kept_as_the_position_to_resend(GameProtocol protocol)
    {
        await using var client = new GameClient(Options(Server, protocol));
        await client.ConnectAsync().WaitAsync(Timeout);
        var raised = 0;
        Assert.True((await client.UpdateLocationAsync(new LocationUpdate { Latitude = 1, Longitude = 1 }).WaitAsync(Timeout)).Accepted);
        client.NearbyChanged += _ => Interlocked.Increment(ref raised);

        var rejected = await client.UpdateLocationAsync(new LocationUpdate { Latitude = 91, Longitude = 1 }).WaitAsync(Timeout);

        Assert.Equal(RejectReasons.LatitudeOutOfRange, rejected.Reason);
        Assert.Equal(1, client.LastPosition?.Latitude);
        Assert.Equal(0, raised);
    }

    [Theory, MemberData(nameof(AllProtocols))]
    public async Task A_new_client_for_the_same_device_catches_up_with_the_servers_sequence(GameProtocol protocol)
    {
        var deviceId = "sdk-" + Guid.NewGuid().ToString("N");
        string? secret;
        await using (var earlier = new GameClient(Options(Server, protocol, deviceId)))
        {
            await earlier.ConnectAsync().WaitAsync(Timeout);
            await earlier.UpdateLocationAsync(new LocationUpdate { Latitude = 2, Longitude = 2 }).WaitAsync(Timeout);
            await earlier.UpdateLocationAsync(new LocationUpdate { Latitude = 2, Longitude = 2 }).WaitAsync(Timeout);
            secret = earlier.DeviceSecret; // what an app stores beside the device id
        }

        // Game time is frozen, so the new client's first sequence number collides with the old ones.
        var options = Options(Server, protocol, deviceId);
        options.DeviceSecret = secret;
        await using var later = new GameClient(options);
        await later.ConnectAsync().WaitAsync(Timeout);
        var ack = await later.UpdateLocationAsync(new LocationUpdate { Latitude = 2.0001, Longitude = 2 }).WaitAsync(Timeout);

        Assert.True(ack.Accepted, ack.Reason);
        Assert.Equal(ack.Seq, (await later.GetStateAsync().WaitAsync(Timeout)).Seq);
    }

    [Theory, MemberData(nameof(AllProtocols))]
    public async Task Streamed_fixes_are_applied_and_rejections_arrive_as_typed_events(GameProtocol protocol)
    {
        await using var client = new GameClient(Options(Server, protocol));
        var rejected = Signal<LocationRejected>();
        client.LocationRejected += r => rejected.TrySetResult(r);
        await client.ConnectAsync().WaitAsync(Timeout);

        await client.StreamLocationAsync(Fixes()).WaitAsync(Timeout);

        var rejection = await rejected.Task.WaitAsync(Timeout);
        Assert.Equal(RejectReasons.LatitudeOutOfRange, rejection.Reason);
        Assert.True(rejection.Seq > 0);
        var state = await Eventually(() => client.GetStateAsync(), s => s.Latitude == 20.0001);
        Assert.Equal(30, state.Heading);
        Assert.True(state.Seq > rejection.Seq);

        static async IAsyncEnumerable<LocationUpdate> Fixes()
        {
            await Task.Yield();
            yield return new LocationUpdate { Latitude = 20, Longitude = 20, Heading = 10 };
            yield return new LocationUpdate { Latitude = 95, Longitude = 20 };
            yield return new LocationUpdate { Latitude = 20.0001, Longitude = 20, Heading = 30 };
        }
    }

    [Fact]
    public async Task A_refused_login_throws_with_the_problem_details_and_connect_does_not_retry_it()
    {
        var options = Options(Server, GameProtocol.Json, deviceId: new string('x', 200));
        await using var client = new GameClient(options);

        var login = await Assert.ThrowsAsync<GameClientException>(() => client.LoginAsync().WaitAsync(Timeout));
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        Assert.True(login.IsPermanent);
        Assert.Contains("deviceId must be at most 128 printable characters", login.Message);

        var connect = await Assert.ThrowsAsync<GameClientException>(() => client.ConnectAsync().WaitAsync(Timeout));
        Assert.Equal(HttpStatusCode.BadRequest, connect.StatusCode);
        Assert.Equal(GameClientState.Disconnected, client.State);
        Assert.Null(client.PlayerId);
    }

    [Theory, MemberData(nameof(AllProtocols))]
    public async Task A_throw_that_kills_its_connection_is_not_retried_forever_and_the_client_recovers(GameProtocol protocol)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)));
        var options = Options(Server, protocol);
        options.LoggerFactory = loggerFactory;
        await using var client = new GameClient(options);
        var reconnects = 0;
        var recoveredFromEveryAttempt = Signal();
        client.Reconnected += () =>
        {
            // The first attempt and its three retries each cost the connection.
            if (Interlocked.Increment(ref reconnects) == 4)
            {
                recoveredFromEveryAttempt.TrySetResult();
            }
        };
        await client.ConnectAsync().WaitAsync(Timeout);
        Assert.True((await client.UpdateLocationAsync(new LocationUpdate { Latitude = 3, Longitude = 3 }).WaitAsync(Timeout)).Accepted);

        // Over the server's 8 KiB message limit: the server closes the connection every time it arrives.
        await Assert.ThrowsAnyAsync<Exception>(() => client.TryCaptureAsync(new string('c', 10_000)).WaitAsync(Timeout));

        await recoveredFromEveryAttempt.Task.WaitAsync(Timeout);
        Assert.Equal(GameClientState.Connected, client.State);
        Assert.Equal(3, (await client.GetStateAsync().WaitAsync(Timeout)).Latitude);
        Assert.Equal(4, reconnects);
    }

    [Fact]
    public async Task Calls_before_connecting_fail_clearly()
    {
        await using var client = new GameClient(Options(Server, GameProtocol.Json));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetStateAsync().WaitAsync(Timeout));
        Assert.Contains("ConnectAsync", ex.Message);
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var value = await read().WaitAsync(cts.Token);
            if (done(value))
            {
                return value;
            }

            await Task.Delay(20, cts.Token);
        }
    }
}
