namespace GameBackend.LoadTests.Engine;

/// <summary>Latency distribution in milliseconds (recorded at microsecond resolution).</summary>
public sealed record LatencyStats
{
    /// <summary>Number of latencies recorded.</summary>
    public long Count { get; init; }
    /// <summary>Smallest latency, ms.</summary>
    public double MinMs { get; init; }
    /// <summary>Mean latency, ms.</summary>
    public double MeanMs { get; init; }
    /// <summary>Largest latency, ms.</summary>
    public double MaxMs { get; init; }
    /// <summary>Standard deviation, ms.</summary>
    public double StdDevMs { get; init; }
    /// <summary>50th percentile, ms.</summary>
    public double Percent50 { get; init; }
    /// <summary>75th percentile, ms.</summary>
    public double Percent75 { get; init; }
    /// <summary>95th percentile, ms.</summary>
    public double Percent95 { get; init; }
    /// <summary>99th percentile, ms.</summary>
    public double Percent99 { get; init; }
    /// <summary>99.9th percentile, ms.</summary>
    public double Percent999 { get; init; }

    /// <summary>An empty distribution.</summary>
    public static LatencyStats Empty { get; } = new();
}

/// <summary>Ok or failed requests of a scenario or step.</summary>
public sealed record RequestStats
{
    /// <summary>Number of requests.</summary>
    public long Count { get; init; }
    /// <summary>Requests per second over the measured duration.</summary>
    public double Rps { get; init; }
    /// <summary>Latency distribution (requests without a latency, such as client overload, are not in it).</summary>
    public LatencyStats Latency { get; init; } = LatencyStats.Empty;
    /// <summary>Bytes received.</summary>
    public long BytesIn { get; init; }
    /// <summary>Bytes sent.</summary>
    public long BytesOut { get; init; }
    /// <summary>Count per status code.</summary>
    public IReadOnlyDictionary<string, long> StatusCodes { get; init; } = new Dictionary<string, long>();
}

/// <summary>Statistics of one step.</summary>
public sealed record StepStats
{
    /// <summary>Step name.</summary>
    public string Name { get; init; } = "";
    /// <summary>Successful requests.</summary>
    public RequestStats Ok { get; init; } = new();
    /// <summary>Failed requests.</summary>
    public RequestStats Fail { get; init; } = new();
}

/// <summary>One second of a scenario's timeline.</summary>
public sealed record TimelinePoint
{
    /// <summary>Seconds since measuring started (end of the second).</summary>
    public double Second { get; init; }
    /// <summary>Length of this interval in seconds (1 except for the last, partial one).</summary>
    public double IntervalSeconds { get; init; } = 1;
    /// <summary>Ok requests completed in this second.</summary>
    public long OkCount { get; init; }
    /// <summary>Failed requests completed (or dropped) in this second.</summary>
    public long FailCount { get; init; }
    /// <summary>Median ok latency in this second, ms.</summary>
    public double P50Ms { get; init; }
    /// <summary>99th percentile ok latency in this second, ms.</summary>
    public double P99Ms { get; init; }
    /// <summary>Largest ok latency in this second, ms.</summary>
    public double MaxMs { get; init; }
    /// <summary>Open-model invocations in flight at the end of the second.</summary>
    public long InFlight { get; init; }
}

/// <summary>Statistics of one scenario. Scenario latency is measured from the intended start (open model).</summary>
public sealed record ScenarioStats
{
    /// <summary>Scenario name.</summary>
    public string Name { get; init; } = "";
    /// <summary>Measured duration (load phases, excluding warm-up and drain).</summary>
    public TimeSpan Duration { get; init; }
    /// <summary>Successful invocations.</summary>
    public RequestStats Ok { get; init; } = new();
    /// <summary>Failed invocations, including client overload.</summary>
    public RequestStats Fail { get; init; } = new();
    /// <summary>Per-step statistics, in order of first use.</summary>
    public IReadOnlyList<StepStats> Steps { get; init; } = [];
    /// <summary>Per-second points.</summary>
    public IReadOnlyList<TimelinePoint> Timeline { get; init; } = [];
    /// <summary>Invocations dropped because the in-flight cap was reached.</summary>
    public long Overloaded { get; init; }
    /// <summary>
    /// Open model: delay between an invocation's intended time and the start of its body (timer and
    /// thread-pool lag of the client itself). Included in the scenario latency, reported to tell client from server.
    /// </summary>
    public LatencyStats ScheduleLag { get; init; } = LatencyStats.Empty;
    /// <summary>Set when the scenario body asked to stop the run.</summary>
    public string? StopReason { get; init; }
    /// <summary>Extra numbers a scenario wants in the report (e.g. memory per connection).</summary>
    public IReadOnlyDictionary<string, string> Metrics { get; init; } = new Dictionary<string, string>();

    /// <summary>Ok + fail.</summary>
    public long AllCount => Ok.Count + Fail.Count;
    /// <summary>Percentage of failed invocations.</summary>
    public double FailPercent => AllCount == 0 ? 0 : 100.0 * Fail.Count / AllCount;
}

/// <summary>CPU used per message by the client and (when its PID was given) the server.</summary>
public sealed record CpuStats
{
    /// <summary>Client process CPU time during measurement.</summary>
    public TimeSpan ClientCpu { get; init; }
    /// <summary>Client CPU per invocation, µs.</summary>
    public double ClientMicrosPerMessage { get; init; }
    /// <summary>Bytes the client allocated per invocation (GC.GetTotalAllocatedBytes delta).</summary>
    public double ClientAllocatedBytesPerMessage { get; init; }
    /// <summary>Client GC collections during measurement (gen0, gen1, gen2).</summary>
    public (int Gen0, int Gen1, int Gen2) ClientCollections { get; init; }
    /// <summary>Client time paused for GC during measurement.</summary>
    public TimeSpan ClientGcPause { get; init; }
    /// <summary>Hub bytes received by every raw connection during measurement, per invocation (acks and pushes).</summary>
    public double BytesToClientPerMessage { get; init; }
    /// <summary>Hub bytes sent by every raw connection during measurement, per invocation.</summary>
    public double BytesFromClientPerMessage { get; init; }
    /// <summary>Bytes the servers allocated during measurement (their Prometheus counter), if readable.</summary>
    public long? ServerAllocatedBytes { get; init; }
    /// <summary>Server bytes allocated per invocation.</summary>
    public double? ServerAllocatedBytesPerMessage { get; init; }
    /// <summary>Server process CPU time during measurement, if a PID was given.</summary>
    public TimeSpan? ServerCpu { get; init; }
    /// <summary>Server CPU per invocation, µs.</summary>
    public double? ServerMicrosPerMessage { get; init; }
    /// <summary>Server resident memory at the start, bytes.</summary>
    public long? ServerRssBeforeBytes { get; init; }
    /// <summary>Server resident memory at the end, bytes.</summary>
    public long? ServerRssAfterBytes { get; init; }
}

/// <summary>A threshold's verdict.</summary>
public sealed record ThresholdResult(string Scenario, string Description, bool Passed, string? Error);

/// <summary>The result of a run.</summary>
public sealed record RunResult
{
    /// <summary>Per-scenario statistics.</summary>
    public IReadOnlyList<ScenarioStats> Scenarios { get; init; } = [];
    /// <summary>Threshold verdicts.</summary>
    public IReadOnlyList<ThresholdResult> Thresholds { get; init; } = [];
    /// <summary>CPU accounting.</summary>
    public CpuStats Cpu { get; init; } = new();
    /// <summary>When the run started (UTC).</summary>
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>Free-form facts about the run (target, protocol, seed…).</summary>
    public IReadOnlyDictionary<string, string> Info { get; init; } = new Dictionary<string, string>();
    /// <summary>Report files written.</summary>
    public IReadOnlyList<string> ReportFiles { get; init; } = [];
    /// <summary>Errors from init/clean or a stop request.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>True when every threshold passed and no scenario failed to initialise.</summary>
    public bool Passed => Errors.Count == 0 && Thresholds.All(t => t.Passed);

    /// <summary>Process exit code: 0 when passed, 1 otherwise.</summary>
    public int ExitCode => Passed ? 0 : 1;

    /// <summary>Statistics of the named scenario.</summary>
    public ScenarioStats Scenario(string name) => Scenarios.Single(s => s.Name == name);
}

/// <summary>A pass/fail check on a scenario's final statistics; a failed threshold fails the run.</summary>
public sealed class Threshold
{
    private readonly Func<ScenarioStats, bool> _check;

    private Threshold(string description, Func<ScenarioStats, bool> check)
    {
        Description = description;
        _check = check;
    }

    /// <summary>Human-readable description, shown in reports.</summary>
    public string Description { get; }

    /// <summary>A threshold from any predicate on the scenario's statistics.</summary>
    public static Threshold Create(Func<ScenarioStats, bool> check, string description = "custom") => new(description, check);

    /// <summary>A threshold on one step's statistics.</summary>
    public static Threshold Create(string stepName, Func<StepStats, bool> check, string description = "custom") =>
        new($"{stepName}: {description}", s => s.Steps.FirstOrDefault(x => x.Name == stepName) is { } step && check(step));

    /// <summary>Ok p99 latency must stay below <paramref name="ms"/>.</summary>
    public static Threshold P99Below(double ms) => new($"ok p99 < {ms} ms", s => s.Ok.Latency.Percent99 < ms);

    /// <summary>Ok p50 latency must stay below <paramref name="ms"/>.</summary>
    public static Threshold P50Below(double ms) => new($"ok p50 < {ms} ms", s => s.Ok.Latency.Percent50 < ms);

    /// <summary>Failure percentage must stay at or below <paramref name="percent"/>.</summary>
    public static Threshold FailPercentAtMost(double percent) => new($"fail % <= {percent}", s => s.FailPercent <= percent);

    /// <summary>Ok throughput must reach <paramref name="rps"/>.</summary>
    public static Threshold OkRpsAtLeast(double rps) => new($"ok rps >= {rps}", s => s.Ok.Rps >= rps);

    internal ThresholdResult Check(ScenarioStats stats)
    {
        try
        {
            return new ThresholdResult(stats.Name, Description, _check(stats), null);
        }
        catch (Exception ex)
        {
            return new ThresholdResult(stats.Name, Description, false, ex.Message);
        }
    }
}
