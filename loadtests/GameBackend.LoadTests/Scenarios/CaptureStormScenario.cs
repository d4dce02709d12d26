using System.Collections.Concurrent;
using GameBackend.Contracts;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>
/// K players converge on one point in small legal steps (≤ 10 m/s, 4 fixes/s, under the 50 m/s and
/// 10 fixes/s limits), wait until a creature is nearby (ack <c>nearby</c> or <c>creatureSpawned</c>), then
/// all throw at it at once. Checks that exactly one throw captured it and every player got an answer.
/// </summary>
public static class CaptureStormScenario
{
    private const int MaxThrowsPerPlayer = 10;
    private static readonly TimeSpan FixInterval = TimeSpan.FromMilliseconds(250);
    private const double WalkSpeed = 10; // m/s

    /// <summary>Creates the scenario; <see cref="LoadTestOptions.Connections"/> is K.</summary>
    public static ScenarioProps Create(LoadTestOptions options)
    {
        var players = Array.Empty<Player>();
        var creatureId = "";
        var seen = new ConcurrentDictionary<string, (double Latitude, double Longitude)>();
        var target = options.Centre;

        return Scenario.Create("capture-storm", async ctx =>
            {
                var player = players[(int)ctx.InvocationNumber];
                var outcome = "";
                for (var attempt = 0; attempt < MaxThrowsPerPlayer; attempt++)
                {
                    var request = new CaptureRequest { CreatureId = creatureId, AttemptId = $"{player.PlayerId}-{attempt}" };
                    var response = await Step.Run("throw", ctx, async () =>
                    {
                        var completion = await player.Connection.InvokeAsync(HubMethods.TryCapture, GamePayloads.Encode(options.Protocol, request), 1, ctx.CancellationToken);
                        if (completion.IsError)
                        {
                            return Response.Fail(WalkersScenario.HubError, completion.Error, completion.FrameBytes);
                        }

                        outcome = GamePayloads.Decode<CaptureResult>(options.Protocol, completion.Result).Outcome;
                        return Response.Ok(outcome, completion.FrameBytes);
                    });
                    if (response.IsError || outcome != CaptureOutcomes.Escaped)
                    {
                        break;
                    }
                }

                return outcome is CaptureOutcomes.Captured or CaptureOutcomes.AlreadyCaptured or CaptureOutcomes.Escaped
                    ? Response.Ok(outcome)
                    : Response.Fail(outcome == "" ? WalkersScenario.HubError : outcome);
            })
            .WithInit(async init =>
            {
                players = await Players.ConnectAsync(options, options.Connections, "catcher", init.CancellationToken, p =>
                    p.Connection.OnEvent = (name, args) =>
                    {
                        if (name == GameEvents.CreatureSpawned)
                        {
                            var spawned = GamePayloads.DecodeEventArgument<CreatureSpawned>(options.Protocol, args);
                            seen.TryAdd(spawned.CreatureId, (spawned.Latitude, spawned.Longitude));
                        }
                    });

                await ConvergeAsync(options, players, target, seen, init);
                creatureId = await WaitForCreatureAsync(options, players, target, seen, init);
                init.Metrics["creature"] = creatureId;
            })
            .WithClean(async _ => await Players.DisposeAsync(players))
            .WithoutWarmUp()
            .WithDrainTimeout(TimeSpan.FromSeconds(30))
            .WithLoadSimulations(Simulation.IterationsForConstant(copies: options.Connections, iterations: options.Connections))
            .WithThresholds(
                [
                    Threshold.Create(s => s.Ok.StatusCodes.GetValueOrDefault(CaptureOutcomes.Captured) == 1, "exactly one captured"),
                    Threshold.Create(s => s.AllCount == options.Connections && s.Fail.Count == 0, "every player answered"),
                    .. WalkersScenario.CommonThresholds(options),
                ]);
    }

    private static async Task ConvergeAsync(LoadTestOptions options, Player[] players, (double Latitude, double Longitude) target,
        ConcurrentDictionary<string, (double, double)> seen, ScenarioInitContext init)
    {
        var d = options.CaptureStartDistance;
        var positions = players.Select(_ => Geo.Move(target.Latitude, target.Longitude, init.Random.NextDouble() * 360, d * (2.0 / 3 + init.Random.NextDouble() * 2 / 3))).ToArray();
        var step = WalkSpeed * FixInterval.TotalSeconds;
        for (var round = 0; round < 100; round++)
        {
            await Task.WhenAll(players.Select(async (p, i) =>
            {
                var (lat, lon) = positions[i];
                var remaining = Geo.Distance(lat, lon, target.Latitude, target.Longitude);
                var course = Geo.Bearing(lat, lon, target.Latitude, target.Longitude);
                positions[i] = remaining <= step ? target : Geo.Move(lat, lon, course, step);
                await SendFixAsync(options, p, positions[i], course, remaining <= step ? 0 : WalkSpeed, seen, init);
            }));

            if (positions.All(p => p == target))
            {
                return;
            }

            await Task.Delay(FixInterval, init.TimeProvider, init.CancellationToken);
        }
    }

    private static async Task<string> WaitForCreatureAsync(LoadTestOptions options, Player[] players, (double Latitude, double Longitude) target,
        ConcurrentDictionary<string, (double Latitude, double Longitude)> seen, ScenarioInitContext init)
    {
        var deadline = init.TimeProvider.GetUtcNow() + options.CreatureWait;
        while (init.TimeProvider.GetUtcNow() < deadline)
        {
            var nearest = seen
                .Select(kv => (Id: kv.Key, Distance: Geo.Distance(kv.Value.Latitude, kv.Value.Longitude, target.Latitude, target.Longitude)))
                .Where(c => c.Distance <= 40)
                .OrderBy(c => c.Distance)
                .FirstOrDefault();
            if (nearest.Id is not null)
            {
                return nearest.Id;
            }

            // Standing still: one fix per second keeps the players' positions fresh and polls `nearby`.
            await Task.WhenAll(players.Select(p => SendFixAsync(options, p, target, 0, 0, seen, init)));
            await Task.Delay(TimeSpan.FromSeconds(1), init.TimeProvider, init.CancellationToken);
        }

        throw new TimeoutException($"No creature appeared within 40 m of {target} in {options.CreatureWait.TotalSeconds:F0} s.");
    }

    private static async Task SendFixAsync(LoadTestOptions options, Player player, (double Latitude, double Longitude) position, double course, double speed,
        ConcurrentDictionary<string, (double, double)> seen, ScenarioInitContext init)
    {
        var fix = new LocationFix(Interlocked.Increment(ref player.NextSeq), init.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds(),
            position.Latitude, position.Longitude, 5, course, speed, course, 0, 0, 9.81);
        var completion = await player.Connection.InvokeAsync(HubMethods.UpdateLocation, GamePayloads.Encode(options.Protocol, fix.ToContract()), 1, init.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), init.CancellationToken);
        if (completion.IsError)
        {
            throw new InvalidOperationException("UpdateLocation failed: " + completion.Error);
        }

        var ack = GamePayloads.Decode<LocationAck>(options.Protocol, completion.Result);
        foreach (var creature in ack.Nearby ?? [])
        {
            seen.TryAdd(creature.CreatureId, (creature.Latitude, creature.Longitude));
        }
    }
}
