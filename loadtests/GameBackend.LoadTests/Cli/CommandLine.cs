using System.Globalization;
using GameBackend.LoadTests.Scenarios;
using GameBackend.LoadTests.Engine;

namespace GameBackend.LoadTests.Cli;

/// <summary>A scenario of the run with its fully resolved options.</summary>
/// <param name="Name">Scenario name.</param>
/// <param name="Options">Defaults, then the config file's global and scenario settings, then the command line; then the weight's share.</param>
/// <param name="Simulations">Load simulations from the config file replacing the scenario's own (null: keep them).</param>
/// <param name="Weight">The scenario's weight, if any (already applied to connections and rate).</param>
public sealed record ResolvedScenario(string Name, LoadTestOptions Options, IReadOnlyList<LoadSimulation>? Simulations, double? Weight);

/// <summary>Parsed command line (with the <c>--config</c> file folded in).</summary>
public sealed record CommandLine
{
    /// <summary>Scenarios to run together, in order.</summary>
    public IReadOnlyList<ResolvedScenario> Runs { get; init; } = [new("walkers", new LoadTestOptions(), null, null)];
    /// <summary>Scenario names, comma-separated.</summary>
    public string Scenario => string.Join(',', Runs.Select(r => r.Name));
    /// <summary>Options of the first scenario (target, protocol, seed and server PID are the run's).</summary>
    public LoadTestOptions Options => Runs[0].Options;
    /// <summary>Run against a baseline hub started in a child process.</summary>
    public bool Baseline { get; init; }
    /// <summary>Artificial delay of the baseline hub.</summary>
    public double BaselineDelayMs { get; init; }

    /// <summary><c>--baseline-pushes</c>: spawn events per second the baseline hub broadcasts to every connection.</summary>
    public double BaselinePushes { get; init; }
    /// <summary>Report folder (null: no files).</summary>
    public string? ReportFolder { get; init; }
    /// <summary>Report base name.</summary>
    public string? ReportName { get; init; }
    /// <summary>Live console progress.</summary>
    public bool Progress { get; init; } = true;
    /// <summary>Print usage.</summary>
    public bool Help { get; init; }
    /// <summary>The configuration file read, if any.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>Known scenarios.</summary>
    public static readonly string[] Scenarios = ["walkers", "crowd", "session", "connect-storm", "capture-storm", "sponsor-api", "baseline"];

    /// <summary>Usage text.</summary>
    public const string Usage = """
        GameBackend load tests (open-model runner, latency from the intended send time)

          dotnet run --project loadtests/GameBackend.LoadTests -c Release -- [options]

          --config FILE          NBomber-style JSON configuration (loadtests/configs/*.json); flags override it
          --target URL[,URL…]    server base URL(s); players are spread over several and fail over between them
                                 (default http://127.0.0.1:5080)
          --scenario LIST        walkers | crowd | session | connect-storm | capture-storm | sponsor-api | baseline,
                                 several mixed by weight: walkers:3,session:1 (default walkers)
          --protocol P           json | msgpack (default msgpack)
          --connections N        players/connections, split by weight (crowd default 5000; capture-storm: K throwers) (default 100)
          --rate R               messages/s across all connections, split by weight (crowd default 1/s per player;
                                 connect-storm: connections/s) (default 500)
          --duration T           measured time, e.g. 60s, 2m, 500ms (default 30s)
          --warmup T             warm-up before measuring (default 5s)
          --seed N               seed for every random choice (default 42)
          --report DIR           write txt, md, csv and html reports into DIR
          --report-name NAME     base name of report files (default load_<timestamp>)
          --server-pid N         sample server CPU and RSS from /proc/N (allocations come from TARGET/metrics)
          --baseline             run the same traffic against a bare SignalR hub in a child process
          --baseline-delay-ms D  artificial delay of that hub
          --baseline-pushes N    that hub broadcasts N creatureSpawned events per second to every connection
                                 (the push traffic of a crowd, without the game: a bare yardstick for crowd runs)
          --max-in-flight N      cap on concurrent requests; excess fails as client.overload (default 20000)
          --setup-parallelism N  logins and connects at once while setting players up (default 32)
          --skip-negotiation     connect the WebSocket directly
          --no-reconnect         do not reconnect after a connection loss
          --center LAT,LON       centre of the walking area / festival (default 52.5200,13.4050)
          --area-m M             crowd: side of the festival square, metres (default 300)
          --capture-probability P  crowd, session: chance to throw after an update when a creature is in range (default 0.1)
          --capture-range-m M    crowd, session: throw only at creatures this close (default 40)
          --session-steps N      session: updates per walk, two walks per visit (default 5)
          --session-step-interval T  session: time between a visitor's updates (default 1s)
          --creature-wait T      capture-storm: how long to wait for a creature (default 2m)
          --admin-key KEY        sponsor-api: X-Admin-Key
          --device-prefix P      prefix of device ids (default load)
          --max-p99-ms X         threshold: ack p99 < X ms (default 50 for walkers, crowd, session)
          --max-fail-pct X       threshold: at most X % failed (default 0)
          --max-push-p99-ms X    threshold: crowd push delivery p99 < X ms (default 250)
          --no-default-thresholds  only the thresholds given explicitly apply
          --no-progress          no live console table

        Exit code: 0 passed, 1 a threshold or the setup failed (report says FAILED), 2 bad arguments or config.
        """;

    /// <summary>Parses arguments (and the <c>--config</c> file they name); throws <see cref="ArgumentException"/> on bad input.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var cl = new CommandLine();
        var patches = new List<OptionPatch>();
        List<ScenarioEntry>? cliScenarios = null;
        RunConfig? config = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--help" or "-h": cl = cl with { Help = true }; break;
                case "--config":
                    var path = Value();
                    config = ConfigFile.Load(path);
                    cl = cl with { ConfigPath = path };
                    break;
                case "--scenario": cliScenarios = ParseScenarioList(Value()); break;
                case "--report": cl = cl with { ReportFolder = Value() }; break;
                case "--report-name": cl = cl with { ReportName = Value() }; break;
                case "--baseline": cl = cl with { Baseline = true }; break;
                case "--baseline-delay-ms": cl = cl with { BaselineDelayMs = double.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--baseline-pushes": cl = cl with { BaselinePushes = double.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--no-progress": cl = cl with { Progress = false }; break;
                default:
                    var setting = Settings.ByFlag(name) ?? throw new ArgumentException($"Unknown option '{name}'.");
                    patches.Add(setting.Parse(setting.TakesValue ? Value() : Settings.FlagValue(setting)));
                    break;
            }
        }

        IReadOnlyList<ScenarioEntry> entries = cliScenarios ?? config?.Scenarios ?? [new ScenarioEntry("walkers", null, [], null)];
        ConfigFile.CheckScenarioList(entries);
        var runs = Resolve(entries, config?.Global ?? [], patches);
        return cl with
        {
            Runs = runs,
            Baseline = cl.Baseline || runs.Any(r => r.Name == "baseline"),
            ReportFolder = cl.ReportFolder ?? config?.ReportFolder,
            ReportName = cl.ReportName ?? config?.ReportName,
        };
    }

    /// <summary>Parses <c>walkers</c>, <c>walkers,session</c> or <c>walkers:3,session:1</c>.</summary>
    public static List<ScenarioEntry> ParseScenarioList(string value)
    {
        var list = new List<ScenarioEntry>();
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(':');
            if (!Scenarios.Contains(parts[0]))
            {
                throw new ArgumentException($"Unknown scenario '{parts[0]}'.");
            }

            double? weight = parts.Length switch
            {
                1 => null,
                2 when double.TryParse(parts[1], CultureInfo.InvariantCulture, out var w) && w > 0 => w,
                _ => throw new ArgumentException($"Bad scenario weight in '{item}' (use name:weight, e.g. walkers:3)."),
            };
            list.Add(new ScenarioEntry(parts[0], weight, [], null));
        }

        return list.Count > 0 ? list : throw new ArgumentException("--scenario needs at least one name.");
    }

    /// <summary>
    /// Options per scenario: the scenario's defaults for whatever nobody set, then the file's global settings,
    /// the file's scenario settings and the command line, in that order; then the weight's share of
    /// connections and rate.
    /// </summary>
    public static List<ResolvedScenario> Resolve(IReadOnlyList<ScenarioEntry> entries, IReadOnlyList<OptionPatch> global, IReadOnlyList<OptionPatch> commandLine)
    {
        var totalWeight = entries.Sum(e => e.Weight ?? 0);
        var runs = new List<ResolvedScenario>();
        foreach (var entry in entries)
        {
            var explicitPatches = global.Concat(entry.Settings).Concat(commandLine).ToList();
            var set = explicitPatches.Select(p => p.Key).ToHashSet();
            var o = new LoadTestOptions();
            if (entry.Name == "crowd" && !set.Contains("connections"))
            {
                o = o with { Connections = 5000 };
            }

            o = explicitPatches.Aggregate(o, (acc, p) => p.Apply(acc));
            if (entry.Name == "crowd" && !set.Contains("rate"))
            {
                o = o with { Rate = o.Connections }; // one update per player per second
            }

            if (entry.Weight is { } w && totalWeight > 0)
            {
                o = o with { Connections = Math.Max(1, (int)Math.Round(o.Connections * w / totalWeight)), Rate = o.Rate * w / totalWeight };
            }

            runs.Add(new ResolvedScenario(entry.Name, o, entry.Simulations, entry.Weight));
        }

        return runs;
    }

    /// <summary>Parses 500ms, 30s, 2m, 1h, 1m30s or plain seconds.</summary>
    public static TimeSpan ParseDuration(string value)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        var total = TimeSpan.Zero;
        var rest = value.AsSpan().Trim();
        while (!rest.IsEmpty)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            {
                digits++;
            }

            var units = digits;
            while (units < rest.Length && char.IsAsciiLetter(rest[units]))
            {
                units++;
            }

            if (digits == 0 || units == digits)
            {
                throw new ArgumentException($"Bad duration '{value}' (use e.g. 500ms, 30s, 2m, 1m30s).");
            }

            var n = double.Parse(rest[..digits], CultureInfo.InvariantCulture);
            total += rest[digits..units].ToString() switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                var u => throw new ArgumentException($"Bad duration unit '{u}' in '{value}'."),
            };
            rest = rest[units..];
        }

        return total;
    }
}
