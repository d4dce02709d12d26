using GameBackend.Client;
using GameBackend.Contracts;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using static GameBackend.Server.Tests.Client.ClientTestSupport;

namespace GameBackend.Server.Tests.Client;

/// <summary>A real server stopped and a new one started on the same port: the client must come back by itself.</summary>
public sealed class ClientReconnectTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TestServer.Timeout;

    public static TheoryData<GameProtocol> AllProtocols => Protocols;

    [Theory, MemberData(nameof(AllProtocols))]
    public async Task After_a_server_restart_the_client_reconnects_resends_its_position_and_refreshes_nearby(GameProtocol protocol)
    {
        var first = await TestServer.StartAsync();
        var firstStopped = false;
        TestServer? second = null;
        try
        {
            var log = new TestOutputLoggerProvider(output);
            using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(log));
            var options = Options(first, protocol);
            options.LoggerFactory = loggerFactory;
            // Not starting at 0: a reconnect landing in the first milliseconds of the old server's
            // shutdown is accepted and then holds that shutdown for its full 30 s timeout (a server issue).
            options.ReconnectDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(250)];
            await using var client = new GameClient(options);
            var reconnecting = Signal<Exception?>();
            var nearbyAfterRestart = Signal<IReadOnlyList<NearbyCreature>>();
            client.Reconnecting += e => reconnecting.TrySetResult(e);
            await client.ConnectAsync().WaitAsync(Timeout);
            var ack = await client.UpdateLocationAsync(new LocationUpdate { Latitude = 47.3769, Longitude = 8.5417, Heading = 12 }).WaitAsync(Timeout);
            Assert.True(ack.Accepted, ack.Reason);
            client.NearbyChanged += n => nearbyAfterRestart.TrySetResult(n);

            log.Log("stopping the first server");
            await first.DisposeAsync();
            firstStopped = true;
            log.Log("first server stopped");
            await reconnecting.Task.WaitAsync(Timeout);

            // Armed only now: a Reconnected from here on can only be to the second server.
            var reconnected = Signal();
            client.Reconnected += () => reconnected.TrySetResult();
            second = await StartOnPortAsync(first.BaseAddress.Port);
            log.Log("second server started");

            await reconnected.Task.WaitAsync(Timeout);
            Assert.Equal(GameClientState.Connected, client.State);
            Assert.True(nearbyAfterRestart.Task.IsCompleted, "NearbyChanged is raised before Reconnected");

            // The new server starts with no state: everything it knows came from the client's re-send.
            var state = await client.GetStateAsync().WaitAsync(Timeout);
            Assert.Equal(client.PlayerId, state.PlayerId);
            Assert.Equal(47.3769, state.Latitude);
            Assert.Equal(8.5417, state.Longitude);
            Assert.Equal(12, state.Heading);
            Assert.True(state.Seq > ack.Seq);

            // And it carries on as normal.
            var next = await client.UpdateLocationAsync(new LocationUpdate { Latitude = 47.37691, Longitude = 8.5417 }).WaitAsync(Timeout);
            Assert.True(next.Accepted, next.Reason);
        }
        finally
        {
            if (!firstStopped)
            {
                await first.DisposeAsync();
            }

            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }
}
