using GameBackend.Client;
using GameBackend.Contracts;
using GameBackend.Server.Tests.Infrastructure;
using static GameBackend.Server.Tests.Client.ClientTestSupport;

namespace GameBackend.Server.Tests.Client;

public sealed class CaptureRetryTests
{
    private static readonly TimeSpan Timeout = TestServer.Timeout;

    [Fact]
    public async Task A_throw_cut_off_by_a_dropped_connection_is_retried_with_the_same_attempt_id_after_reconnecting()
    {
        await using var server = await StubGameServer.StartAsync(tokenLifetime: TimeSpan.FromHours(1));
        await using var client = new GameClient(new GameClientOptions
        {
            ServerUrl = server.BaseAddress, DeviceId = "d1", ReconnectDelays = ShortDelays,
        });
        var reconnected = Signal();
        client.Reconnected += () => reconnected.TrySetResult();
        await client.ConnectAsync().WaitAsync(Timeout);

        var result = await client.TryCaptureAsync("c-1").WaitAsync(Timeout);

        await reconnected.Task.WaitAsync(Timeout);
        Assert.Equal(CaptureOutcomes.Captured, result.Outcome);
        var attempts = server.Recorder.CaptureAttempts.ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.Equal(attempts[0], attempts[1]);
        Assert.Equal(result.AttemptId, attempts[0]);
        Assert.Equal(32, attempts[0].Length);
        Assert.Equal(1, server.Recorder.Logins);
    }

    [Fact]
    public async Task A_given_attempt_id_is_sent_as_is()
    {
        await using var server = await StubGameServer.StartAsync(tokenLifetime: TimeSpan.FromHours(1));
        await using var client = new GameClient(new GameClientOptions { ServerUrl = server.BaseAddress, DeviceId = "d2", ReconnectDelays = ShortDelays });
        await client.ConnectAsync().WaitAsync(Timeout);

        var result = await client.TryCaptureAsync("c-2", "my-attempt").WaitAsync(Timeout);

        Assert.Equal("my-attempt", result.AttemptId);
        Assert.All(server.Recorder.CaptureAttempts, a => Assert.Equal("my-attempt", a));
    }

    [Fact]
    public async Task A_token_near_expiry_is_replaced_by_a_new_login_when_reconnecting()
    {
        // Every token expires within the default 5-minute refresh margin.
        await using var server = await StubGameServer.StartAsync(tokenLifetime: TimeSpan.FromMinutes(1));
        await using var client = new GameClient(new GameClientOptions { ServerUrl = server.BaseAddress, DeviceId = "d3", ReconnectDelays = ShortDelays });
        var reconnected = Signal();
        client.Reconnected += () => reconnected.TrySetResult();
        await client.ConnectAsync().WaitAsync(Timeout);
        var loginsAfterConnect = server.Recorder.Logins;

        await client.TryCaptureAsync("c-3").WaitAsync(Timeout);
        await reconnected.Task.WaitAsync(Timeout);

        Assert.True(server.Recorder.Logins > loginsAfterConnect);
        var tokens = server.Recorder.Tokens.ToArray();
        Assert.Equal(2, tokens.Length);
        Assert.NotEqual(tokens[0], tokens[1]);
    }
}
