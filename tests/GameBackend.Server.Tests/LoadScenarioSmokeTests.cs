using GameBackend.LoadTests.Cli;
using GameBackend.Server.Tests.Infrastructure;

namespace GameBackend.Server.Tests;

/// <summary>
/// Every load scenario, briefly, against the real game server (the runner's own correctness is
/// tested against the bare hub in GameBackend.LoadTests.Tests). Exit code 0 means the scenario's
/// checks and thresholds held; nothing here asserts on speed.
/// </summary>
public sealed class LoadScenarioSmokeTests
{
    private const string AdminKey = "smoke-admin-key-0123456789";

    [Theory]
    [InlineData("msgpack")]
    [InlineData("json")]
    public async Task Walkers_run_clean_against_the_game_server(string protocol)
    {
        await using var server = await TestServer.StartAsync();
        var (code, output) = await RunAsync(server, "--scenario", "walkers", "--protocol", protocol, "--connections", "20",
            // Clean means no failed invocation; latency is measured by benchmarks, never asserted here.
            "--rate", "40", "--duration", "2s", "--warmup", "500ms", "--no-default-thresholds", "--max-fail-pct", "0");
        Assert.True(code == 0, output);
        Assert.Contains("accepted=", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A node at its connection cap turns the rest away with 503; the runner goes on with the players
    /// that got in, fails the turns of the refused ones as <c>server.full</c> and says how many there were
    /// (it used to abort the whole run, so a connection-count benchmark past the cap had no figures).
    /// </summary>
    [Fact]
    public async Task Walkers_past_the_connection_cap_run_on_and_report_the_refused()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Game:Transport:MaxConnections"] = "6" });
        var (code, output) = await RunAsync(server, "--scenario", "walkers", "--connections", "10", "--setup-parallelism", "1",
            "--rate", "20", "--duration", "2s", "--warmup", "0s", "--no-default-thresholds", "--max-fail-pct", "0");
        Assert.True(code != 0, output); // 4 of 10 players never played: the failure threshold says so
        Assert.Contains("connections refused", output, StringComparison.Ordinal);
        Assert.Contains("4 of 10", output, StringComparison.Ordinal);
        Assert.Contains("server.full=", output, StringComparison.Ordinal);
        Assert.Contains("accepted=", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_storm_runs_clean_against_the_game_server()
    {
        await using var server = await TestServer.StartAsync();
        var (code, output) = await RunAsync(server, "--scenario", "connect-storm", "--connections", "50", "--rate", "50",
            "--duration", "1s", "--warmup", "0s", "--max-fail-pct", "0");
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Capture_storm_finds_exactly_one_winner_on_the_game_server()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Game:Spawning:TickInterval"] = "00:00:00.050",
            ["Game:Spawning:AmbientPerSquareKm"] = "2000",
        });

        // The runner works in real time; game time runs fast so creatures appear while it waits.
        using var stop = new CancellationTokenSource();
        var clock = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                server.Time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(50, CancellationToken.None);
            }
        });
        try
        {
            var (code, output) = await RunAsync(server, "--scenario", "capture-storm", "--connections", "20", "--creature-wait", "30s",
                "--center", "45.4642,9.1900");
            Assert.True(code == 0, output);
        }
        finally
        {
            await stop.CancelAsync();
            await clock.WaitAsync(TestServer.Timeout);
        }
    }

    [Fact]
    public async Task Sponsor_api_runs_clean_against_the_game_server()
    {
        await using var database = await TestDatabase.CreateAsync("gb_smoke");
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
        });
        var (code, output) = await RunAsync(server, "--scenario", "sponsor-api", "--admin-key", AdminKey, "--rate", "5",
            "--duration", "2s", "--warmup", "0s", "--max-fail-pct", "0");
        Assert.True(code == 0, output);
    }

    private static async Task<(int Code, string Output)> RunAsync(TestServer server, params string[] args)
    {
        using var output = new StringWriter();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var code = await LoadTestCli.RunAsync(
            ["--target", server.BaseAddress.ToString(), "--no-progress", "--seed", "7", .. args], output, cts.Token);
        return (code, output.ToString());
    }
}
