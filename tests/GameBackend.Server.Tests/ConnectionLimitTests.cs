using System.Net;
using GameBackend.Server.Realtime;
using GameBackend.Server.Tests.Infrastructure;

namespace GameBackend.Server.Tests;

/// <summary>A full node turns new connections away with a clear answer and keeps serving the ones it has.</summary>
public sealed class ConnectionLimitTests
{
    [Theory]
    [InlineData(0, 20_000L, 18_872, 19_000L)]
    [InlineData(5, 20_000L, 5, 19_000L)]
    [InlineData(0, 1_024L, 640, 768L)]
    [InlineData(0, null, int.MaxValue, null)]
    [InlineData(50_000, 20_000L, 18_872, 19_000L)]
    public void Caps_stay_below_the_open_file_limit(int configured, long? descriptors, int hub, long? tcp)
    {
        Assert.Equal((hub, tcp), ConnectionLimit.Derive(configured, descriptors));
    }

    [Fact]
    public async Task Beyond_the_cap_a_connection_gets_503_and_the_connected_players_keep_playing()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Game:Transport:MaxConnections"] = "2" });
        await using var first = await server.ConnectPlayerAsync(WireProtocol.Json);
        await using var second = await server.ConnectPlayerAsync(WireProtocol.MessagePack);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => server.ConnectPlayerAsync(WireProtocol.Json).WaitAsync(TestServer.Timeout));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);

        var now = server.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.True((await first.MoveToAsync(10.0, 10.0, now)).Accepted);
        Assert.True((await second.MoveToAsync(10.0, 10.001, now)).Accepted);

        // A place frees up when a player leaves (the server notices the close asynchronously).
        await second.DisposeAsync();
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (true)
        {
            try
            {
                await using var third = await server.ConnectPlayerAsync(WireProtocol.Json).WaitAsync(cts.Token);
                Assert.True((await third.MoveToAsync(10.0, 10.002, now)).Accepted);
                return;
            }
            catch (HttpRequestException ex) when (ex.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                await Task.Delay(50, cts.Token);
            }
        }
    }
}
