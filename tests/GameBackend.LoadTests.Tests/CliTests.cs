using GameBackend.BaselineHub;
using GameBackend.LoadTests.Cli;

namespace GameBackend.LoadTests.Tests;

public sealed class CliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static string[] Args(Uri target, params string[] extra) =>
        ["--target", target.ToString(), "--connections", "5", "--rate", "50", "--duration", "1s", "--warmup", "0", "--no-progress", .. extra];

    [Fact]
    public async Task Exit_code_follows_thresholds()
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var output = new StringWriter();

        var failed = await LoadTestCli.RunAsync(Args(server.Address, "--protocol", "json", "--max-p99-ms", "0.001"), output).WaitAsync(Timeout);
        var passed = await LoadTestCli.RunAsync(Args(server.Address, "--max-p99-ms", "60000", "--max-fail-pct", "0"), output).WaitAsync(Timeout);

        Assert.Equal(1, failed);
        Assert.Equal(0, passed);
        Assert.Contains("ok p99 < 0.001 ms: FAILED", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_storm_opens_every_connection()
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var output = new StringWriter();

        var code = await LoadTestCli.RunAsync(
            ["--target", server.Address.ToString(), "--scenario", "connect-storm", "--connections", "20", "--rate", "40", "--no-progress",
             "--server-pid", Environment.ProcessId.ToString(), "--max-fail-pct", "0"], output).WaitAsync(Timeout);

        var text = output.ToString();
        Assert.True(code == 0, text);
        Assert.Matches(@"connections open at end\s+20 of 20", text);
        Assert.Contains("server memory per connection", text, StringComparison.Ordinal);
        Assert.Matches(@"connect-storm\s+connect\s+ok\s+20\s", text);
    }

    [Fact]
    public async Task Baseline_flag_runs_against_a_child_process_hub()
    {
        var output = new StringWriter();

        var code = await LoadTestCli.RunAsync(["--baseline", "--connections", "3", "--rate", "30", "--duration", "1s", "--warmup", "0", "--no-progress", "--no-default-thresholds"], output)
            .WaitAsync(Timeout);

        var text = output.ToString();
        Assert.True(code == 0, text);
        Assert.Contains("(baseline hub)", text, StringComparison.Ordinal);
        Assert.Contains("server cpu", text, StringComparison.Ordinal);
        Assert.Matches(@"walkers\s+\(all\)\s+ok\s+30\s", text);
    }

    [Theory]
    [InlineData("--rate", "-1")]
    [InlineData("--scenario", "nope")]
    [InlineData("--duration", "5 parsecs")]
    [InlineData("--bogus")]
    public async Task Bad_arguments_exit_with_2(params string[] args)
    {
        var output = new StringWriter();
        Assert.Equal(2, await LoadTestCli.RunAsync(args, output).WaitAsync(Timeout));
        Assert.Contains("error:", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("1m30s", 90)]
    [InlineData("12", 12)]
    public void Durations_parse(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), CommandLine.ParseDuration(text));
}
