using System.Globalization;
using GameBackend.LoadTests.Scenarios;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Cli;

/// <summary>Parsed command line.</summary>
public sealed record CommandLine
{
    /// <summary>Scenario name.</summary>
    public string Scenario { get; init; } = "walkers";
    /// <summary>Scenario options.</summary>
    public LoadTestOptions Options { get; init; } = new();
    /// <summary>Run against a baseline hub started in a child process.</summary>
    public bool Baseline { get; init; }
    /// <summary>Artificial delay of the baseline hub.</summary>
    public double BaselineDelayMs { get; init; }
    /// <summary>Report folder (null: no files).</summary>
    public string? ReportFolder { get; init; }
    /// <summary>Report base name.</summary>
    public string? ReportName { get; init; }
    /// <summary>Live console progress.</summary>
    public bool Progress { get; init; } = true;
    /// <summary>Print usage.</summary>
    public bool Help { get; init; }

    /// <summary>Known scenarios.</summary>
    public static readonly string[] Scenarios = ["walkers", "connect-storm", "capture-storm", "sponsor-api", "baseline"];

    /// <summary>Usage text.</summary>
    public const string Usage = """
        GameBackend load tests (open-model runner, latency from the intended send time)

          dotnet run --project loadtests/GameBackend.LoadTests -c Release -- [options]

          --target URL           server base URL (default http://127.0.0.1:5080)
          --scenario NAME        walkers | connect-storm | capture-storm | sponsor-api | baseline (default walkers)
          --protocol P           json | msgpack (default msgpack)
          --connections N        players/connections (capture-storm: K throwers) (default 100)
          --rate R               messages/s across all connections (connect-storm: connections/s) (default 500)
          --duration T           measured time, e.g. 60s, 2m, 500ms (default 30s)
          --warmup T             warm-up before measuring (default 5s)
          --seed N               seed for every random choice (default 42)
          --report DIR           write txt, md, csv and html reports into DIR
          --report-name NAME     base name of report files (default load_<timestamp>)
          --server-pid N         sample server CPU and RSS from /proc/N
          --baseline             run the same traffic against a bare SignalR hub in a child process
          --baseline-delay-ms D  artificial delay of that hub
          --max-in-flight N      cap on concurrent requests; excess fails as client.overload (default 20000)
          --skip-negotiation     connect the WebSocket directly
          --center LAT,LON       centre of the walking area (default 52.5200,13.4050)
          --creature-wait T      capture-storm: how long to wait for a creature (default 2m)
          --admin-key KEY        sponsor-api: X-Admin-Key
          --max-p99-ms X         threshold: fail the run if ok p99 >= X ms
          --max-fail-pct X       threshold: fail the run if more than X % fail
          --no-progress          no live console table

        Exit code: 0 passed, 1 a threshold or the setup failed, 2 bad arguments.
        """;

    /// <summary>Parses arguments; throws <see cref="ArgumentException"/> on bad input.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var cl = new CommandLine();
        var o = cl.Options;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--help" or "-h": cl = cl with { Help = true }; break;
                case "--target": o = o with { Target = new Uri(Value()) }; break;
                case "--scenario":
                    var s = Value();
                    cl = cl with { Scenario = Scenarios.Contains(s) ? s : throw new ArgumentException($"Unknown scenario '{s}'.") };
                    break;
                case "--protocol": o = o with { Protocol = HubProtocols.Parse(Value()) }; break;
                case "--connections" or "--players": o = o with { Connections = PositiveInt(name, Value()) }; break;
                case "--rate": o = o with { Rate = PositiveDouble(name, Value()) }; break;
                case "--duration": o = o with { Duration = ParseDuration(Value()) }; break;
                case "--warmup": o = o with { WarmUp = ParseDuration(Value()) }; break;
                case "--seed": o = o with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--report": cl = cl with { ReportFolder = Value() }; break;
                case "--report-name": cl = cl with { ReportName = Value() }; break;
                case "--server-pid": o = o with { ServerPid = PositiveInt(name, Value()) }; break;
                case "--baseline": cl = cl with { Baseline = true }; break;
                case "--baseline-delay-ms": cl = cl with { BaselineDelayMs = double.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--max-in-flight": o = o with { MaxInFlight = PositiveInt(name, Value()) }; break;
                case "--skip-negotiation": o = o with { SkipNegotiation = true }; break;
                case "--creature-wait": o = o with { CreatureWait = ParseDuration(Value()) }; break;
                case "--admin-key": o = o with { AdminKey = Value() }; break;
                case "--max-p99-ms": o = o with { MaxP99Ms = PositiveDouble(name, Value()) }; break;
                case "--max-fail-pct": o = o with { MaxFailPercent = double.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--no-progress": cl = cl with { Progress = false }; break;
                case "--center" or "--centre":
                    var parts = Value().Split(',');
                    o = o with { Centre = (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[^1], CultureInfo.InvariantCulture)) };
                    break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        return cl with { Options = o, Baseline = cl.Baseline || cl.Scenario == "baseline" };
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

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive integer.");

    private static double PositiveDouble(string name, string value) =>
        double.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} must be positive.");
}
