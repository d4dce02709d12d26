using GameBackend.LoadTests.Engine;

namespace GameBackend.LoadTests.Tests;

public sealed class EngineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Inject_schedule_spaces_invocations_evenly()
    {
        var s = new InjectSchedule(100, 100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal(0, s.TimeOf(0));
        Assert.Equal(0.01, s.TimeOf(1), 9);
        Assert.Equal(1.0, s.TimeOf(100), 9);
        Assert.Equal(200, s.CountUpTo(10));
    }

    [Fact]
    public void Ramping_schedule_integrates_the_rate()
    {
        // 0 -> 100/s over 2 s: 100 invocations in total, the first half of them after ~1.41 s.
        var s = new InjectSchedule(0, 100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.InRange(s.CountUpTo(2), 99, 101);
        Assert.Equal(Math.Sqrt(2), s.TimeOf(50), 6);
    }

    [Fact]
    public async Task Closed_model_iterations_count_every_outcome()
    {
        var scenario = Scenario.Create("iterations", async ctx =>
            {
                await Task.Yield();
                var step = await Step.Run("half", ctx, () => Task.FromResult(ctx.InvocationNumber % 2 == 0 ? Response.Ok(sizeBytes: 10) : Response.Fail("odd")));
                return ctx.InvocationNumber % 3 == 0 ? throw new InvalidOperationException("boom") : step;
            })
            .WithLoadSimulations(Simulation.IterationsForConstant(copies: 4, iterations: 300));

        var result = await LoadRunner.RegisterScenarios(scenario).RunAsync().WaitAsync(Timeout);
        var stats = result.Scenario("iterations");

        Assert.Equal(300, stats.AllCount);
        Assert.Equal(100, stats.Fail.StatusCodes[Response.ClientException]);
        var step = Assert.Single(stats.Steps);
        Assert.Equal(150, step.Ok.Count);
        Assert.Equal(150, step.Fail.Count);
        Assert.Equal(1500, step.Ok.BytesIn);
        Assert.True(result.Passed);
    }

    [Fact]
    public async Task Inject_caps_in_flight_and_counts_overload_as_failure()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scenario = Scenario.Create("capped", async ctx =>
            {
                await release.Task.WaitAsync(ctx.CancellationToken);
                return Response.Ok();
            })
            .WithMaxInFlight(5)
            .WithDrainTimeout(TimeSpan.FromMilliseconds(1))
            .WithLoadSimulations(Simulation.Inject(rate: 200, interval: TimeSpan.FromSeconds(1), during: TimeSpan.FromMilliseconds(300)))
            .WithThresholds(Threshold.FailPercentAtMost(0));

        var run = LoadRunner.RegisterScenarios(scenario).RunAsync();
        var result = await run.WaitAsync(Timeout);
        var stats = result.Scenario("capped");

        Assert.Equal(60, stats.AllCount);
        Assert.Equal(55, stats.Overloaded);
        Assert.Equal(55, stats.Fail.StatusCodes[Response.ClientOverload]);
        Assert.Equal(5, stats.Fail.StatusCodes[Response.ClientCancelled]);
        Assert.False(result.Passed);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Ramps_and_pauses_run_in_order_and_warm_up_is_discarded()
    {
        var maxConcurrent = 0;
        var concurrent = 0;
        var scenario = Scenario.Create("phases", async ctx =>
            {
                if (ctx.InstanceNumber < 0)
                {
                    await Task.Delay(5, ctx.CancellationToken);
                    return Response.Ok();
                }

                // Closed-model copies: never more than the copies asked for.
                InterlockedMax(ref maxConcurrent, Interlocked.Increment(ref concurrent));
                await Task.Delay(5, ctx.CancellationToken);
                Interlocked.Decrement(ref concurrent);
                return Response.Ok();
            })
            .WithWarmUpDuration(TimeSpan.FromMilliseconds(200))
            .WithLoadSimulations(
                Simulation.RampingConstant(4, TimeSpan.FromMilliseconds(300)),
                Simulation.KeepConstant(4, TimeSpan.FromMilliseconds(300)),
                Simulation.Pause(TimeSpan.FromMilliseconds(100)),
                Simulation.RampingInject(100, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(400)),
                Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200)));

        var result = await LoadRunner.RegisterScenarios(scenario).RunAsync().WaitAsync(Timeout);
        var stats = result.Scenario("phases");

        Assert.True(result.Passed);
        Assert.Equal(0, stats.Fail.Count);
        Assert.InRange(maxConcurrent, 1, 4);
        Assert.Equal(20 + 20, stats.ScheduleLag.Count); // ramp 0->100/s over 0.4 s integrates to 20, then 100/s for 0.2 s
        Assert.InRange(stats.Duration.TotalSeconds, 1.3, double.MaxValue);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
