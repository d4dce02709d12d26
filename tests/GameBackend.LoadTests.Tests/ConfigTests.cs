using GameBackend.LoadTests.Cli;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.Scenarios;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Tests;

/// <summary>The <c>--config</c> file: parsing, layering under the command line, and clear errors.</summary>
public sealed class ConfigTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "loadtests-config-" + Guid.NewGuid().ToString("N"));

    public ConfigTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(relative);
    }

    [Theory]
    [InlineData("walkers", "walkers", 2000, 6000.0)]
    [InlineData("crowd", "crowd", 5000, 5000.0)]
    [InlineData("session", "session", 200, 500.0)]
    [InlineData("capture-storm", "capture-storm", 1000, 500.0)]
    [InlineData("many", "walkers", 20000, 2000.0)]
    public void Checked_in_examples_parse(string file, string scenario, int connections, double rate)
    {
        var cl = CommandLine.Parse(["--config", RepoFile($"loadtests/configs/{file}.json")]);

        var run = Assert.Single(cl.Runs);
        Assert.Equal(scenario, run.Name);
        Assert.Equal(connections, run.Options.Connections);
        Assert.Equal(rate, run.Options.Rate);
        Assert.Equal(HubProtocol.MessagePack, run.Options.Protocol);
        Assert.Equal("reports", cl.ReportFolder);
    }

    [Fact]
    public void Every_checked_in_example_is_valid()
    {
        var files = Directory.GetFiles(RepoFile("loadtests/configs"), "*.json");
        Assert.Equal(6, files.Length);
        foreach (var file in files)
        {
            CommandLine.Parse(["--config", file]);
        }
    }

    [Fact]
    public void Weights_split_connections_and_rate()
    {
        var cl = CommandLine.Parse(["--config", RepoFile("loadtests/configs/mixed.json")]);

        Assert.Equal(["walkers", "session"], cl.Runs.Select(r => r.Name));
        Assert.Equal((1500, 3000.0), (cl.Runs[0].Options.Connections, cl.Runs[0].Options.Rate));
        Assert.Equal((500, 1000.0), (cl.Runs[1].Options.Connections, cl.Runs[1].Options.Rate));
        Assert.All(cl.Runs, r => Assert.Equal(TimeSpan.FromSeconds(30), r.Options.Duration));
    }

    [Fact]
    public void Command_line_flags_override_the_file()
    {
        var path = Write("""
            {
              "target": "http://10.0.0.1:5080",
              "protocol": "json",
              "globalSettings": { "connections": 300, "duration": "20s" },
              "scenarios": [ { "name": "crowd", "settings": { "areaMeters": 250, "captureProbability": 0.2 } } ],
              "thresholds": { "ackP99Ms": 80, "pushP99Ms": 400 }
            }
            """);

        var fromFile = CommandLine.Parse(["--config", path]).Options;
        var overridden = CommandLine.Parse(["--config", path, "--protocol", "msgpack", "--connections", "40", "--area-m", "120", "--max-p99-ms", "30",
            "--target", "http://127.0.0.1:1,http://127.0.0.1:2"]).Options;

        Assert.Equal((HubProtocol.Json, 300, 300.0, 250.0, 0.2, 80.0, 400.0), // crowd: rate follows connections (1/s each)
            (fromFile.Protocol, fromFile.Connections, fromFile.Rate, fromFile.AreaMeters, fromFile.CaptureProbability, fromFile.MaxP99Ms, fromFile.MaxPushP99Ms));
        Assert.Equal(TimeSpan.FromSeconds(20), fromFile.Duration);
        Assert.Equal((HubProtocol.MessagePack, 40, 40.0, 120.0, 0.2, 30.0, 400.0),
            (overridden.Protocol, overridden.Connections, overridden.Rate, overridden.AreaMeters, overridden.CaptureProbability, overridden.MaxP99Ms, overridden.MaxPushP99Ms));
        Assert.Equal([new Uri("http://127.0.0.1:1"), new Uri("http://127.0.0.1:2")], overridden.Targets);
        Assert.Equal(TimeSpan.FromSeconds(20), overridden.Duration);
    }

    [Fact]
    public void Scenario_flag_replaces_the_files_scenarios_and_takes_weights()
    {
        var cl = CommandLine.Parse(["--config", RepoFile("loadtests/configs/walkers.json"), "--scenario", "walkers:1,session:1", "--connections", "10", "--rate", "20"]);

        Assert.Equal(["walkers", "session"], cl.Runs.Select(r => r.Name));
        Assert.All(cl.Runs, r => Assert.Equal((5, 10.0), (r.Options.Connections, r.Options.Rate)));
    }

    [Fact]
    public void Load_simulations_from_the_file_replace_the_scenarios_own()
    {
        var cl = CommandLine.Parse(["--config", RepoFile("loadtests/configs/many.json")]);
        var scenario = LoadTestCli.Create(cl.Runs[0].Name, cl.Runs[0].Options).WithLoadSimulations([.. cl.Runs[0].Simulations!]);

        Assert.Equal(
            [new LoadSimulation.RampingInjectPhase(2000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)), new LoadSimulation.InjectPhase(2000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60))],
            scenario.LoadSimulations);
    }

    [Fact]
    public void Default_thresholds_are_the_projects_targets_unless_turned_off()
    {
        string Describe(params string[] args)
        {
            var run = CommandLine.Parse(args).Runs[0];
            return string.Join("; ", LoadTestCli.Create(run.Name, run.Options).Thresholds.Select(t => t.Description));
        }

        Assert.Equal("ok p99 < 50 ms; fail % <= 0", Describe("--scenario", "walkers"));
        Assert.Equal("ack ok p99 < 50 ms; fail % <= 0; push ok p99 < 250 ms", Describe("--scenario", "crowd"));
        Assert.Equal("update ok p99 < 50 ms; fail % <= 0", Describe("--scenario", "session"));
        Assert.Equal("ack ok p99 < 80 ms; fail % <= 1; push ok p99 < 300 ms",
            Describe("--scenario", "crowd", "--max-p99-ms", "80", "--max-fail-pct", "1", "--max-push-p99-ms", "300"));
        Assert.Equal("", Describe("--scenario", "crowd", "--no-default-thresholds"));
        Assert.Equal("ok p99 < 70 ms", Describe("--no-default-thresholds", "--max-p99-ms", "70"));
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("[]", "(root) must be an object")]
    [InlineData("""{ "scenarios": [] }""", "scenarios must be a non-empty array")]
    [InlineData("""{ "target": "http://x" }""", "scenarios is missing")]
    [InlineData("""{ "scenarios": [ { "name": "walkers" } ], "colour": "blue" }""", "unknown key 'colour'")]
    [InlineData("""{ "scenarios": [ { "name": "joggers" } ] }""", "unknown scenario 'joggers'")]
    [InlineData("""{ "scenarios": [ { "weight": 2 } ] }""", "scenarios[0].name is missing")]
    [InlineData("""{ "scenarios": [ { "name": "walkers", "settings": { "rate": -5 } } ] }""", "scenarios[0].settings.rate: rate must be a positive number")]
    [InlineData("""{ "scenarios": [ { "name": "walkers", "settings": { "speed": 3 } } ] }""", "unknown setting 'scenarios[0].settings.speed'")]
    [InlineData("""{ "scenarios": [ { "name": "walkers", "settings": { "duration": "5 parsecs" } } ] }""", "scenarios[0].settings.duration")]
    [InlineData("""{ "scenarios": [ { "name": "walkers", "settings": { "ackP99Ms": 5 } } ] }""", "belongs in a 'thresholds' object")]
    [InlineData("""{ "scenarios": [ { "name": "walkers", "weight": 0 } ] }""", "scenarios[0].weight must be a positive number")]
    [InlineData("""{ "scenarios": [ { "name": "walkers", "weight": 1, "settings": { "rate": 10 } } ] }""", "give a weight or its own connections/rate, not both")]
    [InlineData("""{ "scenarios": [ { "name": "walkers", "weight": 1 }, { "name": "session" } ] }""", "give every scenario a weight, or none")]
    [InlineData("""{ "scenarios": [ { "name": "walkers" }, { "name": "walkers" } ] }""", "'walkers' is listed twice")]
    [InlineData("""{ "scenarios": [ { "name": "walkers" } ], "thresholds": { "p99": 5 } }""", "unknown threshold 'thresholds.p99'")]
    [InlineData("""{ "scenarios": [ { "name": "walkers" } ], "target": "ftp://x" }""", "target: target 'ftp://x' is not an absolute http(s) URL")]
    [InlineData("""{ "scenarios": [ { "name": "walkers", "loadSimulations": [ { "inject": { "rate": 5 } } ] } ] }""", "scenarios[0].loadSimulations[0].inject.during is missing")]
    [InlineData("""{ "scenarios": [ { "name": "walkers", "loadSimulations": [ { "sprint": {} } ] } ] }""", "unknown load simulation 'sprint'")]
    [InlineData("""{ "scenarios": [ { "name": "crowd", "settings": { "captureProbability": 2 } } ] }""", "captureProbability must be in [0, 1]")]
    public async Task Bad_files_give_clear_errors_and_exit_code_2(string json, string message)
    {
        var path = Write(json);
        var error = Assert.Throws<ArgumentException>(() => CommandLine.Parse(["--config", path]));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"config {path}: ", error.Message, StringComparison.Ordinal);

        var output = new StringWriter();
        Assert.Equal(2, await LoadTestCli.RunAsync(["--config", path], output).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("error: config " + path, output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_clear_error()
    {
        var error = Assert.Throws<ArgumentException>(() => CommandLine.Parse(["--config", Path.Combine(_folder, "absent.json")]));
        Assert.Contains("cannot read it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backoff_follows_the_sdk_schedule_within_its_jitter()
    {
        var backoff = new Backoff();
        var random = new Random(1);
        double[] expected = [0, 1, 2, 5, 10, 20, 30, 30];
        for (var i = 0; i < expected.Length; i++)
        {
            var seconds = backoff.NextDelay(i, random).TotalSeconds;
            Assert.InRange(seconds, expected[i] * 0.8, expected[i] * 1.2);
        }
    }

    [Fact]
    public void Allocated_bytes_are_read_from_the_prometheus_text()
    {
        const string text = """
            # TYPE dotnet_gc_heap_total_allocated_bytes_total counter
            dotnet_gc_heap_total_allocated_bytes_total{otel_scope_name="System.Runtime"} 68123368
            dotnet_gc_heap_total_allocated_bytes_totally_different 5
            process_runtime_dotnet_gc_allocations_size_bytes_total 1
            """;
        Assert.Equal(68123368, ServerMetrics.ParseAllocatedBytes(text));
        Assert.Equal(7, ServerMetrics.ParseAllocatedBytes("process_runtime_dotnet_gc_allocations_size_bytes_total 7 1700000000000"));
        Assert.Null(ServerMetrics.ParseAllocatedBytes("up 1"));
    }
}
