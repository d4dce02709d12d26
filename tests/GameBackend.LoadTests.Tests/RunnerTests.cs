using GameBackend.BaselineHub;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.Scenarios;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Tests;

/// <summary>
/// The runner against the in-process baseline hub. Assertions use lower bounds implied by the injected
/// delays and relations between numbers, never absolute speed. Tests in this class run one at a time.
/// </summary>
public sealed class RunnerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static LoadTestOptions Options(BaselineServer server, HubProtocol protocol, int connections, double rate, double seconds) => new()
    {
        Target = server.Address,
        Protocol = protocol,
        Connections = connections,
        Rate = rate,
        Duration = TimeSpan.FromSeconds(seconds),
        WarmUp = TimeSpan.Zero,
        Seed = 7,
        DefaultThresholds = false, // these tests are about counting and timing, not the project's targets
    };

    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task Open_loop_counts_add_up(HubProtocol protocol)
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var scenario = WalkersScenario.Create(Options(server, protocol, connections: 10, rate: 200, seconds: 1));

        var result = await LoadRunner.RegisterScenarios(scenario).RunAsync().WaitAsync(Timeout);
        var stats = result.Scenario("walkers");

        // 200/s for 1 s: invocations are due at 0, 5 ms, …, 995 ms.
        Assert.Equal(200, stats.AllCount);
        Assert.Equal(stats.AllCount, stats.Ok.Count + stats.Fail.Count);
        Assert.Equal(stats.Ok.Count, server.Options.UpdateCount);
        Assert.Equal(stats.Ok.Count, stats.Ok.StatusCodes["accepted"]);
        var step = Assert.Single(stats.Steps);
        Assert.Equal(stats.Ok.Count, step.Ok.Count);
        Assert.True(stats.Ok.BytesIn > 0 && stats.Ok.BytesOut > 0);
        Assert.True(result.Passed);
    }

    [Fact]
    public async Task Injected_server_delay_shows_in_open_loop_percentiles()
    {
        const double delayMs = 100; // large next to scheduling noise on a busy shared machine
        await using var slow = await BaselineServer.StartAsync(delay: TimeSpan.FromMilliseconds(delayMs)).WaitAsync(Timeout);
        await using var fast = await BaselineServer.StartAsync().WaitAsync(Timeout);

        // Both in one run, side by side: whatever else the machine is doing slows both alike, and
        // only the injected delay sets them apart.
        var result = await LoadRunner.RegisterScenarios(
                WalkersScenario.Create(Options(slow, HubProtocol.MessagePack, 20, 100, 2), "slow"),
                WalkersScenario.Create(Options(fast, HubProtocol.MessagePack, 20, 100, 2), "fast"))
            .RunAsync().WaitAsync(Timeout);
        var slowStats = result.Scenario("slow");
        var fastStats = result.Scenario("fast");

        Assert.True(slowStats.Fail.Count == 0, string.Join(", ", slowStats.Fail.StatusCodes));
        Assert.True(fastStats.Fail.Count == 0, string.Join(", ", fastStats.Fail.StatusCodes));
        // Nothing can answer before the delay: every percentile of the slow server includes it.
        Assert.InRange(slowStats.Ok.Latency.Percent50, delayMs, double.MaxValue);
        Assert.InRange(slowStats.Ok.Latency.Percent99, delayMs, double.MaxValue);
        Assert.True(fastStats.Ok.Latency.Percent50 < slowStats.Ok.Latency.Percent50,
            $"no-delay p50 {fastStats.Ok.Latency.Percent50} ms, {delayMs} ms delay p50 {slowStats.Ok.Latency.Percent50} ms");
    }

    [Fact]
    public async Task Stalled_server_latency_grows_from_the_intended_send_time()
    {
        // One request at a time per connection (like a naive client), a 50 ms server and a request due
        // every 25 ms: the client falls behind. Timing from the actual send would report ~50 ms for every
        // request (coordinated omission); timing from the schedule must show the backlog.
        const int delayMs = 50;
        await using var server = await BaselineServer.StartAsync(delay: TimeSpan.FromMilliseconds(delayMs)).WaitAsync(Timeout);
        var options = Options(server, HubProtocol.Json, 1, 40, 1);
        var inner = WalkersScenario.Create(options);
        using var gate = new SemaphoreSlim(1);
        var scenario = Scenario.Create("stalled", async ctx =>
            {
                await gate.WaitAsync(ctx.CancellationToken);
                try
                {
                    return await Step.Run("send", ctx, () => inner.Run(ctx));
                }
                finally
                {
                    gate.Release();
                }
            })
            .WithInit(inner.Init!)
            .WithClean(inner.Clean!)
            .WithDrainTimeout(TimeSpan.FromSeconds(30))
            .WithLoadSimulations(Simulation.Inject(40, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));

        var stats = (await LoadRunner.RegisterScenarios(scenario).RunAsync().WaitAsync(Timeout)).Scenario("stalled");

        Assert.Equal(40, stats.Ok.Count);

        // Request k (due at 25k ms) cannot finish before 50(k+1) ms, so its latency is at least 25k + 50 ms.
        Assert.InRange(stats.Ok.Latency.Percent50, 25 * 19 + delayMs, double.MaxValue);
        Assert.InRange(stats.Ok.Latency.MaxMs, 25 * 39 + delayMs, double.MaxValue);
        var send = stats.Steps.Single(s => s.Name == "send");
        Assert.True(send.Ok.Latency.Percent50 < stats.Ok.Latency.Percent50 / 2,
            $"send p50 {send.Ok.Latency.Percent50} ms vs scenario p50 {stats.Ok.Latency.Percent50} ms");

        var seconds = stats.Timeline.Where(p => p.OkCount > 0).ToList();
        Assert.True(seconds.Count >= 2);
        Assert.True(seconds[^1].P50Ms > seconds[0].P50Ms, "latency should grow second by second");
    }

    [Fact]
    public async Task A_failed_threshold_fails_the_run_and_reports_are_written()
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var folder = Path.Combine(Path.GetTempPath(), "loadtests-" + Guid.NewGuid().ToString("N"));
        try
        {
            var scenario = WalkersScenario.Create(Options(server, HubProtocol.MessagePack, 5, 50, 1) with { WarmUp = TimeSpan.FromMilliseconds(300) })
                .WithThresholds(Threshold.P99Below(0.001), Threshold.FailPercentAtMost(100));

            var result = await LoadRunner.RegisterScenarios(scenario)
                .WithReportFolder(folder)
                .WithReportFileName("run")
                .WithInfo("target", server.Address.ToString())
                .RunAsync().WaitAsync(Timeout);

            Assert.False(result.Passed);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal([false, true], result.Thresholds.Select(t => t.Passed));
            Assert.Equal(50, result.Scenario("walkers").AllCount); // warm-up traffic is not counted

            Assert.Equal(4, result.ReportFiles.Count);
            var txt = await File.ReadAllTextAsync(Path.Combine(folder, "run.txt"));
            var md = await File.ReadAllTextAsync(Path.Combine(folder, "run.md"));
            var csv = await File.ReadAllLinesAsync(Path.Combine(folder, "run.csv"));
            var html = await File.ReadAllTextAsync(Path.Combine(folder, "run.html"));
            Assert.Contains("FAILED", txt, StringComparison.Ordinal);
            Assert.Contains("| walkers |", md, StringComparison.Ordinal);
            Assert.StartsWith("scenario,step,kind,count,rps,p50_ms", csv[0], StringComparison.Ordinal);
            Assert.Contains(csv, line => line.StartsWith("walkers,update,ok,", StringComparison.Ordinal));
            Assert.Contains("<svg", html, StringComparison.Ordinal);
            Assert.Contains("<polyline", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<script src", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
