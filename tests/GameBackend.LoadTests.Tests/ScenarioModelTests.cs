using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.Scenarios;
using Microsoft.Extensions.Time.Testing;

namespace GameBackend.LoadTests.Tests;

/// <summary>
/// Not run alongside other test classes: the fake-clock test advances time from a loop, and a thread pool
/// busy with other classes' servers lets fake time run ahead of the closed-model copies' stop signal.
/// </summary>
[Collection(FakeClockCollection.Name)]
public sealed class ScenarioModelTests
{
    [Fact]
    public void Walker_moves_like_a_pedestrian()
    {
        var centre = (52.52, 13.405);
        var a = new Walker(1, centre);
        var b = new Walker(1, centre);
        var t = 1_700_000_000_000L;
        var previous = a.Next(t);
        Assert.Equal(previous, b.Next(t)); // seeded: identical streams

        for (var i = 1; i <= 600; i++)
        {
            var fix = a.Next(t + i * 1000);
            var moved = Geo.Distance(previous.Latitude, previous.Longitude, fix.Latitude, fix.Longitude);
            Assert.InRange(moved, 0.8, 2.0); // ~1.4 m/s with jitter
            Assert.InRange(fix.Speed, 0.8, 2.0);
            var bearing = Geo.Bearing(previous.Latitude, previous.Longitude, fix.Latitude, fix.Longitude);
            Assert.InRange(AngleBetween(bearing, fix.Course), 0, 1); // course is the direction of movement
            Assert.InRange(AngleBetween(fix.Heading, fix.Course), 0, 15); // the phone points roughly ahead
            Assert.InRange(Math.Sqrt(fix.AccelX * fix.AccelX + fix.AccelY * fix.AccelY + fix.AccelZ * fix.AccelZ), 8.5, 11);
            Assert.Equal(previous.Seq + 1, fix.Seq);
            Assert.InRange(Geo.Distance(centre.Item1, centre.Item2, fix.Latitude, fix.Longitude), 0, 2500);
            previous = fix;
        }
    }

    private static double AngleBetween(double a, double b)
    {
        var d = Math.Abs(a - b) % 360;
        return d > 180 ? 360 - d : d;
    }

    [Fact]
    public async Task With_a_fake_clock_latency_is_measured_from_the_schedule()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var scenario = Scenario.Create("fake", async ctx =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), ctx.TimeProvider, ctx.CancellationToken);
                return Response.Ok();
            })
            .WithDrainTimeout(TimeSpan.FromMinutes(10))
            .WithLoadSimulations(Simulation.Inject(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), Simulation.KeepConstant(2, TimeSpan.FromMilliseconds(500)));

        var run = LoadRunner.RegisterScenarios(scenario).WithTimeProvider(clock).RunAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!run.IsCompleted)
        {
            timeout.Token.ThrowIfCancellationRequested();
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Yield();
        }

        var stats = (await run).Scenario("fake");

        // 10 open-model invocations, then two closed-model copies for 0.5 s (each loop takes >= 50 ms, so at
        // most 11 each). Fake time may run ahead of a busy thread pool, so only bounds are asserted.
        Assert.True(stats.Fail.Count == 0, string.Join(", ", stats.Fail.StatusCodes));
        Assert.InRange(stats.Ok.Count, 10, 10 + 2 * 11);
        Assert.InRange(stats.Ok.Latency.MinMs, 50, double.MaxValue);
        Assert.Equal(10, stats.ScheduleLag.Count);
        Assert.InRange(stats.Duration.TotalSeconds, 1.5, double.MaxValue);
    }
}

/// <summary>Runs on its own, after the parallel classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FakeClockCollection
{
    /// <summary>Collection name.</summary>
    public const string Name = "fake clock";
}
