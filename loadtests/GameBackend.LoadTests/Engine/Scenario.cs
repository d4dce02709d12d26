using System.Diagnostics.CodeAnalysis;

namespace GameBackend.LoadTests.Engine;

/// <summary>An immutable scenario definition; build it with <see cref="Scenario.Create"/> and the <c>With…</c> methods.</summary>
public sealed record ScenarioProps
{
    internal ScenarioProps(string name, Func<IScenarioContext, Task<Response>> run)
    {
        Name = name;
        Run = run;
    }

    /// <summary>The scenario's name (report key).</summary>
    public string Name { get; }

    /// <summary>The body run once per invocation.</summary>
    public Func<IScenarioContext, Task<Response>> Run { get; }

    /// <summary>Runs once before any load.</summary>
    public Func<ScenarioInitContext, Task>? Init { get; init; }

    /// <summary>Runs once after the load, also after a failure.</summary>
    public Func<ScenarioInitContext, Task>? Clean { get; init; }

    /// <summary>Load run (same simulations, from their start) before measuring; its results are discarded.</summary>
    public TimeSpan WarmUpDuration { get; init; }

    /// <summary>Phases of load, run in order.</summary>
    public IReadOnlyList<LoadSimulation> LoadSimulations { get; init; } = [Simulation.KeepConstant(1, TimeSpan.FromSeconds(10))];

    /// <summary>Checked on the final statistics; any failure makes the run fail.</summary>
    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>
    /// Cap on concurrent open-model invocations. An invocation due while the cap is reached is not started
    /// and counts as a failure with status <see cref="Response.ClientOverload"/>.
    /// </summary>
    public int MaxInFlight { get; init; } = 10_000;

    /// <summary>How long to wait for in-flight invocations after the last phase before cancelling them.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Sets <see cref="Init"/>.</summary>
    public ScenarioProps WithInit(Func<ScenarioInitContext, Task> init) => this with { Init = init };

    /// <summary>Sets <see cref="Clean"/>.</summary>
    public ScenarioProps WithClean(Func<ScenarioInitContext, Task> clean) => this with { Clean = clean };

    /// <summary>Sets <see cref="WarmUpDuration"/>.</summary>
    public ScenarioProps WithWarmUpDuration(TimeSpan duration) => this with { WarmUpDuration = duration };

    /// <summary>Disables warm-up.</summary>
    public ScenarioProps WithoutWarmUp() => this with { WarmUpDuration = TimeSpan.Zero };

    /// <summary>Sets <see cref="LoadSimulations"/>.</summary>
    public ScenarioProps WithLoadSimulations(params LoadSimulation[] simulations) => this with { LoadSimulations = simulations };

    /// <summary>Sets <see cref="Thresholds"/>.</summary>
    public ScenarioProps WithThresholds(params Threshold[] thresholds) => this with { Thresholds = thresholds };

    /// <summary>Sets <see cref="MaxInFlight"/>.</summary>
    public ScenarioProps WithMaxInFlight(int maxInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxInFlight, 0);
        return this with { MaxInFlight = maxInFlight };
    }

    /// <summary>Sets <see cref="DrainTimeout"/>.</summary>
    public ScenarioProps WithDrainTimeout(TimeSpan timeout) => this with { DrainTimeout = timeout };
}

/// <summary>Entry point for scenario definitions, as in NBomber.</summary>
public static class Scenario
{
    /// <summary>Creates a scenario whose body runs once per invocation.</summary>
    public static ScenarioProps Create(string name, Func<IScenarioContext, Task<Response>> run)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(run);
        return new ScenarioProps(name, run);
    }
}

/// <summary>A named part of a scenario with its own statistics.</summary>
[SuppressMessage("Naming", "CA1716", Justification = "NBomber's vocabulary (scenario, step), which load testers know; Step is a keyword only in Visual Basic.")]
public static class Step
{
    /// <summary>
    /// Runs <paramref name="run"/> and records its latency (from the step's actual start) and outcome
    /// under <paramref name="name"/>. Exceptions become failures with status <see cref="Response.ClientException"/>.
    /// </summary>
    public static Task<Response> Run(string name, IScenarioContext context, Func<Task<Response>> run) =>
        RunCore(name, (ScenarioContext)context, run, fromIntendedStart: false);

    /// <summary>
    /// Like <c>Run</c>, but the latency is measured from the invocation's intended start (open model),
    /// as the scenario row is: for the first request of a body whose scenario row also covers later steps.
    /// </summary>
    public static Task<Response> RunFromIntendedStart(string name, IScenarioContext context, Func<Task<Response>> run) =>
        RunCore(name, (ScenarioContext)context, run, fromIntendedStart: true);

    private static async Task<Response> RunCore(string name, ScenarioContext ctx, Func<Task<Response>> run, bool fromIntendedStart)
    {
        var clock = ctx.TimeProvider;
        var start = fromIntendedStart ? ctx.StartTimestamp : clock.GetTimestamp();
        Response response;
        try
        {
            response = await run();
        }
        catch (OperationCanceledException) when (ctx.CancellationToken.IsCancellationRequested)
        {
            response = Response.Fail(Response.ClientCancelled, "cancelled");
        }
        catch (Exception ex)
        {
            response = Response.Fail(Response.ClientException, ex.GetType().Name + ": " + ex.Message);
        }

        if (ctx.Recording)
        {
            ctx.StepStats(name).Record(response, clock.GetTimestamp() - start);
        }

        return response;
    }
}
