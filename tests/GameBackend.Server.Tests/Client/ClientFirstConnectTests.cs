using GameBackend.Client;
using GameBackend.Server.Tests.Infrastructure;
using static GameBackend.Server.Tests.Client.ClientTestSupport;

namespace GameBackend.Server.Tests.Client;

/// <summary>The first connect to a server that is not up yet keeps trying with the backoff.</summary>
public sealed class ClientFirstConnectTests
{
    [Fact]
    public async Task Connect_waits_for_a_server_that_is_still_starting()
    {
        var port = FreePort();
        await using var client = new GameClient(new GameClientOptions
        {
            ServerUrl = new Uri($"http://127.0.0.1:{port}/"),
            DeviceId = "sdk-" + Guid.NewGuid().ToString("N"),
            ReconnectDelays = ShortDelays,
        });

        var connecting = client.ConnectAsync();
        Assert.Equal(GameClientState.Connecting, client.State);
        await using var server = await StartOnPortAsync(port);
        await connecting.WaitAsync(TestServer.Timeout);

        Assert.Equal(GameClientState.Connected, client.State);
        Assert.Equal(client.PlayerId, (await client.GetStateAsync().WaitAsync(TestServer.Timeout)).PlayerId);
    }

    [Fact]
    public async Task Connect_gives_up_when_its_token_is_cancelled()
    {
        await using var client = new GameClient(new GameClientOptions
        {
            ServerUrl = new Uri($"http://127.0.0.1:{FreePort()}/"),
            DeviceId = "sdk-" + Guid.NewGuid().ToString("N"),
            ReconnectDelays = ShortDelays,
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ConnectAsync(cts.Token).WaitAsync(TestServer.Timeout));
        Assert.Equal(GameClientState.Disconnected, client.State);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
