namespace GameBackend.LoadTests.Engine;

/// <summary>What a scenario body sees of the run.</summary>
public interface IScenarioContext
{
    /// <summary>The scenario's name.</summary>
    string ScenarioName { get; }

    /// <summary>The copy running this invocation (closed model), or -1 for an open-model invocation.</summary>
    int InstanceNumber { get; }

    /// <summary>0-based number of this invocation within the scenario, across all phases.</summary>
    long InvocationNumber { get; }

    /// <summary>A random source seeded from the run seed, the scenario name and the copy or invocation number.</summary>
    Random Random { get; }

    /// <summary>Cancelled when the run stops or the drain time after the last phase is exceeded.</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>The clock the engine uses (<see cref="TimeProvider.System"/> outside tests).</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>Stops the whole run after the current invocations (a fatal client-side condition).</summary>
    void StopCurrentTest(string reason);
}

/// <summary>What <c>WithInit</c> and <c>WithClean</c> see.</summary>
public sealed class ScenarioInitContext
{
    internal ScenarioInitContext(string scenarioName, int seed, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ScenarioName = scenarioName;
        Seed = seed;
        Random = new Random(seed);
        TimeProvider = timeProvider;
        CancellationToken = cancellationToken;
    }

    /// <summary>The scenario's name.</summary>
    public string ScenarioName { get; }

    /// <summary>The run seed combined with the scenario name.</summary>
    public int Seed { get; }

    /// <summary>Seeded with <see cref="Seed"/>.</summary>
    public Random Random { get; }

    /// <summary>The engine's clock.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Cancelled when the run is cancelled.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Extra figures for the report (e.g. memory per connection); shared by init and clean.</summary>
    public IDictionary<string, string> Metrics { get; } = new Dictionary<string, string>();

    internal ScenarioRunner? Runner { get; set; }

    /// <summary>True from the end of warm-up until the measured invocations have drained.</summary>
    public bool Measuring => Runner?.Measuring ?? false;

    /// <summary>
    /// Records an outcome that no invocation produced (a server push, a reconnect) as its own step row,
    /// with a latency the caller measured. Ignored during warm-up and after the drain, so warm-up traffic
    /// never reaches the report while late answers to measured traffic do. Safe from any thread (per-thread recorders, no lock).
    /// </summary>
    public void RecordStep(string stepName, in Response response, TimeSpan latency)
    {
        if (Runner is { Measuring: true } runner)
        {
            runner.StepCollector(stepName).Record(response, (long)(latency.TotalSeconds * runner.Clock.TimestampFrequency));
        }
    }
}

internal sealed class ScenarioContext : IScenarioContext
{
    private readonly ScenarioRunner _runner;
    private Random? _random;
    private int _randomSeed;

    public ScenarioContext(ScenarioRunner runner, int instanceNumber)
    {
        _runner = runner;
        InstanceNumber = instanceNumber;
    }

    internal ScenarioRunner Runner => _runner;
    public string ScenarioName => _runner.Name;
    public int InstanceNumber { get; }
    public long InvocationNumber { get; private set; }
    public CancellationToken CancellationToken => _runner.InvocationToken;
    public TimeProvider TimeProvider => _runner.Clock;

    /// <summary>Intended start (open model) or actual start (closed model); latency is measured from here.</summary>
    public long StartTimestamp { get; private set; }

    /// <summary>Whether results of this invocation are recorded (false during warm-up).</summary>
    public bool Recording { get; private set; }

    public Random Random => _random ??= new Random(_randomSeed);

    internal StatsCollector StepStats(string name) => _runner.StepCollector(name);

    internal void Reset(long invocationNumber, long startTimestamp, bool recording)
    {
        InvocationNumber = invocationNumber;
        StartTimestamp = startTimestamp;
        Recording = recording;

        // Closed-model copies keep one random stream for their lifetime; open-model invocations get one each.
        if (InstanceNumber < 0)
        {
            _random = null;
            _randomSeed = Seeds.Combine(_runner.Seed, invocationNumber);
        }
        else if (_random is null)
        {
            _randomSeed = Seeds.Combine(_runner.Seed, InstanceNumber);
        }
    }

    public void StopCurrentTest(string reason) => _runner.Stop(reason);
}

/// <summary>Stable seed mixing (string.GetHashCode is randomised per process).</summary>
public static class Seeds
{
    /// <summary>Mixes a seed with a number (splitmix64 finaliser).</summary>
    public static int Combine(int seed, long value)
    {
        unchecked
        {
            var z = (ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)value;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (int)(z ^ (z >> 31));
        }
    }

    /// <summary>Mixes a seed with a string (FNV-1a).</summary>
    public static int Combine(int seed, string value)
    {
        unchecked
        {
            var h = 14695981039346656037UL;
            foreach (var c in value)
            {
                h = (h ^ c) * 1099511628211UL;
            }

            return Combine(seed, (long)h);
        }
    }
}
