using GameBackend.Server.Tests.Infrastructure;

namespace GameBackend.Server.Tests;

/// <summary>
/// The error texts docs/protocol.md quotes are the ones a client receives (issue 12, finding 7:
/// the documented texts for an oversized message and an unknown method were not what clients got).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ErrorTextTests(ServerFixture fixture)
{
    [Fact]
    public async Task An_unknown_method_and_wrong_argument_types_get_the_documented_error_completions()
    {
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        using var hub = await RawHub.ConnectAsync(fixture.Server, "json", cts.Token);

        var unknown = await hub.InvokeAsync("u1", "NoSuchMethod", cts.Token);
        Assert.Equal("{\"type\":3,\"invocationId\":\"u1\",\"error\":\"Failed to invoke 'NoSuchMethod' due to an error on the server. HubException: Method does not exist.\"}\u001e", unknown);

        await hub.SendAsync("{\"type\":1,\"invocationId\":\"w1\",\"target\":\"UpdateLocation\",\"arguments\":[{\"latitude\":\"north\"}]}\u001e", cts.Token);
        var wrong = await hub.ReceiveAsync(cts.Token);
        Assert.Equal("{\"type\":3,\"invocationId\":\"w1\",\"error\":\"Failed to invoke 'UpdateLocation' due to an error on the server.\"}\u001e", wrong);
    }

    [Fact]
    public async Task An_oversized_message_closes_the_connection_with_the_documented_error()
    {
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        using var hub = await RawHub.ConnectAsync(fixture.Server, "json", cts.Token);
        await hub.SendAsync("{\"type\":1,\"target\":\"GetState\",\"arguments\":[\"" + new string('x', 9000) + "\"]}\u001e", cts.Token);
        var close = await hub.ReceiveAsync(cts.Token);
        Assert.Equal("{\"type\":7,\"error\":\"Connection closed with an error.\",\"allowReconnect\":true}\u001e", close);
    }
}
