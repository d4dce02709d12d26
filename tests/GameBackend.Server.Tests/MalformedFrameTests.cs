using System.Net.WebSockets;
using System.Text;
using GameBackend.Contracts;
using GameBackend.Server.Tests.Infrastructure;

namespace GameBackend.Server.Tests;

/// <summary>Bytes no SignalR client would send, over a raw WebSocket: only that connection is affected.</summary>
[Collection(ServerCollection.Name)]
public sealed class MalformedFrameTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    [Theory]
    [InlineData("json", "{this is not json\u001e")]
    [InlineData("json", "{\"type\":1,\"invocationId\":\"1\",\"target\":\"UpdateLocation\",\"arguments\":[{\"latitude\":\"north\"}]}\u001e")]
    [InlineData("messagepack", "\u0005\u00c1\u00c1\u00c1\u00c1\u00c1")]
    public async Task A_malformed_frame_gets_an_error_and_other_connections_carry_on(string protocol, string frame)
    {
        await using var bystander = await Server.ConnectPlayerAsync(WireProtocol.Json);
        var login = await Server.LoginAsync();
        using var socket = new ClientWebSocket();
        var uri = new UriBuilder(new Uri(Server.BaseAddress, HubMethods.Path)) { Scheme = "ws", Query = "access_token=" + login.Token }.Uri;
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        await socket.ConnectAsync(uri, cts.Token);
        await socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"protocol\":\"{protocol}\",\"version\":1}}\u001e"), WebSocketMessageType.Text, true, cts.Token);
        var handshake = await ReceiveAsync(socket, cts.Token);
        Assert.Equal("{}\u001e", handshake);

        var bytes = protocol == "json" ? Encoding.UTF8.GetBytes(frame) : frame.Select(c => (byte)c).ToArray();
        await socket.SendAsync(bytes, protocol == "json" ? WebSocketMessageType.Text : WebSocketMessageType.Binary, true, cts.Token);

        // Either an error completion for the invocation or a close message naming the problem.
        var reply = await ReceiveAsync(socket, cts.Token);
        Assert.True(reply.Contains("error", StringComparison.OrdinalIgnoreCase) || socket.State != WebSocketState.Open,
            $"Expected an error, got '{reply}' with socket {socket.State}");

        Assert.True((await bystander.MoveToAsync(7, 7, Server.Time.GetUtcNow().ToUnixTimeMilliseconds())).Accepted);
    }

    private static async Task<string> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var total = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(total), cancellationToken);
            total += result.Count;
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return "close:" + socket.CloseStatusDescription + Encoding.UTF8.GetString(buffer, 0, total);
            }

            if (result.EndOfMessage)
            {
                // Skip keep-alive pings ({"type":6}) the server may send first.
                var text = Encoding.UTF8.GetString(buffer, 0, total);
                if (text.Contains("\"type\":6", StringComparison.Ordinal) && !text.Contains("error", StringComparison.Ordinal))
                {
                    total = 0;
                    continue;
                }

                return text;
            }
        }
    }
}
