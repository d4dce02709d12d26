using GameBackend.BaselineHub;
using GameBackend.LoadTests.Cli;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.Scenarios;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Tests;

/// <summary>Reconnect after a server goes away, whole-visit sessions and mixed scenarios, against bare hubs on real Kestrel.</summary>
public sealed class ReconnectAndSessionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Players_of_a_stopped_server_reconnect_to_the_other_and_the_outage_is_reported()
    {
        var doomed = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var doomedStopped = false;
        await using var survivor = await BaselineServer.StartAsync().WaitAsync(Timeout);
        try
        {
            var options = new LoadTestOptions
            {
                Target = doomed.Address,
                Targets = [doomed.Address, survivor.Address],
                Connections = 4, // players 0 and 2 on the doomed server
                Rate = 40,
                Duration = TimeSpan.FromSeconds(4),
                WarmUp = TimeSpan.Zero,
                DefaultThresholds = false,
            };
            var inner = WalkersScenario.Create(options);
            var midRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var scenario = Scenario.Create("walkers", ctx =>
                {
                    if (ctx.InvocationNumber == 20)
                    {
                        midRun.TrySetResult();
                    }

                    return inner.Run(ctx);
                })
                .WithInit(inner.Init!)
                .WithClean(inner.Clean!)
                .WithLoadSimulations([.. inner.LoadSimulations]);

            var run = LoadRunner.RegisterScenarios(scenario).RunAsync();
            await midRun.Task.WaitAsync(Timeout);
            var survivorBefore = survivor.Options.UpdateCount;
            await doomed.DisposeAsync().AsTask().WaitAsync(Timeout);
            doomedStopped = true;
            var result = await run.WaitAsync(Timeout);
            var stats = result.Scenario("walkers");

            Assert.Empty(result.Errors);
            // Updates due while a player was cut off fail fast as client.disconnected, never as anything else.
            Assert.True(stats.Fail.Count > 0);
            Assert.Equal([Reconnector.OutageStatus], stats.Fail.StatusCodes.Keys);
            Assert.Matches(@"^\d+, reconnected \d+, failed attempts \d+, re-logins 0$", stats.Metrics["connection losses"]);

            // Both cut-off players came back (on the survivor: the first retry hits the dead server, the
            // second, ~1 s later, moves on) and their first accepted fix recorded the outage.
            var recovery = stats.Steps.Single(s => s.Name == Reconnector.RecoveryStep);
            Assert.True(recovery.Ok.Count >= 2, $"recoveries: {recovery.Ok.Count}");
            Assert.InRange(recovery.Ok.Latency.MaxMs, 800 * 0.8, double.MaxValue); // the 1 s backoff step, less its jitter
            Assert.True(survivor.Options.UpdateCount - survivorBefore > stats.Ok.Count / 2,
                $"survivor answered {survivor.Options.UpdateCount - survivorBefore} of {stats.Ok.Count} after the stop");
        }
        finally
        {
            if (!doomedStopped)
            {
                await doomed.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task A_session_logs_in_walks_reconnects_and_walks_again(HubProtocol protocol)
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var options = new LoadTestOptions
        {
            Target = server.Address,
            Protocol = protocol,
            Connections = 2,
            Duration = TimeSpan.FromSeconds(1),
            WarmUp = TimeSpan.Zero,
            SessionSteps = 2,
            SessionStepInterval = TimeSpan.FromMilliseconds(50),
            DefaultThresholds = false,
        };

        var result = await LoadRunner.RegisterScenarios(SessionScenario.Create(options)).RunAsync().WaitAsync(Timeout);
        var stats = result.Scenario("session");
        long Ok(string step) => stats.Steps.Single(s => s.Name == step).Ok.Count;

        Assert.True(result.Passed, string.Join("; ", result.Errors));
        Assert.Equal(0, stats.Fail.Count);
        var visits = stats.Ok.Count;
        Assert.True(visits >= 2);
        Assert.Equal(["login", "connect", "update", "reconnect"], stats.Steps.Select(s => s.Name));
        Assert.Equal((visits, visits, visits), (Ok("login"), Ok("connect"), Ok("reconnect")));
        Assert.Equal(4 * visits, Ok("update"));
        Assert.Equal(4 * visits, server.Options.UpdateCount);
    }

    [Fact]
    public async Task Scenarios_mix_by_weight_in_one_run()
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var output = new StringWriter();

        var code = await LoadTestCli.RunAsync(
            ["--target", server.Address.ToString(), "--scenario", "walkers:3,session:1", "--connections", "8", "--rate", "40", "--duration", "1s",
             "--warmup", "0", "--session-steps", "1", "--session-step-interval", "10ms", "--no-progress", "--no-default-thresholds", "--max-fail-pct", "0"], output)
            .WaitAsync(Timeout);

        var text = output.ToString();
        Assert.True(code == 0, text);
        Assert.Matches(@"walkers connections\s+6 \(weight 3\)", text);
        Assert.Matches(@"session connections\s+2 \(weight 1\)", text);
        Assert.Matches(@"walkers\s+\(all\)\s+ok\s+30\s", text); // 3/4 of 40/s for 1 s
        Assert.Matches(@"session\s+update\s+ok\s+\d+", text);
    }
}
