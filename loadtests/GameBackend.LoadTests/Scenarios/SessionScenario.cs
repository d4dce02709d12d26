using GameBackend.Contracts;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>
/// A player's whole visit, one per invocation: log in (a new device each visit), connect, walk
/// <see cref="LoadTestOptions.SessionSteps"/> updates <see cref="LoadTestOptions.SessionStepInterval"/> apart
/// (throwing at what is near with <see cref="LoadTestOptions.CaptureProbability"/>), disconnect, connect again
/// with the same token, walk again, leave. Closed model: <see cref="LoadTestOptions.Connections"/> visitors
/// are on the map at any time, each starting a new visit when the last one ends. The scenario row is the
/// whole visit; steps <c>login</c>, <c>connect</c>, <c>update</c> (ack, from the actual send), <c>throw</c>,
/// <c>reconnect</c>.
/// </summary>
public static class SessionScenario
{
    /// <summary>Update step (the ack threshold applies here).</summary>
    public const string UpdateStep = "update";

    private static readonly string[] ConnectSteps = ["connect", "reconnect"];

    /// <summary>Creates the scenario.</summary>
    public static ScenarioProps Create(LoadTestOptions options, string name = "session")
    {
        var visit = options.SessionStepInterval * (2 * options.SessionSteps + 2);
        return Scenario.Create(name, async ctx =>
            {
                var n = ctx.InvocationNumber;
                var deviceId = $"{options.DevicePrefix}-{name}-{options.Seed}-{n}";
                var target = options.TargetFor(Math.Max(ctx.InstanceNumber, 0));
                LoginResponse? login = null;
                var step = await Step.Run("login", ctx, async () =>
                {
                    login = await GameApi.LoginAsync(target, deviceId, $"visitor {n}", ctx.CancellationToken);
                    return Response.Ok("200");
                });
                if (step.IsError)
                {
                    return step;
                }

                var walker = new Walker(Seeds.Combine(options.Seed, n), options.Centre, radius: 500, seqBase: Players.SeqBase(ctx.TimeProvider));
                var nearby = Array.Empty<NearbyCreature>();
                foreach (var connectStep in ConnectSteps)
                {
                    RawHubConnection? connection = null;
                    step = await Step.Run(connectStep, ctx, async () =>
                    {
                        connection = await RawHubConnection.ConnectAsync(GameApi.HubUrl(target), login!.Token, options.Protocol, ctx.CancellationToken, options.SkipNegotiation);
                        return Response.Ok("connected");
                    });
                    if (step.IsError)
                    {
                        return step;
                    }

                    await using (connection)
                    {
                        var player = new Player(0, login!.PlayerId, connection!);
                        for (var i = 0; i < options.SessionSteps; i++)
                        {
                            if (i > 0)
                            {
                                await Task.Delay(options.SessionStepInterval, ctx.TimeProvider, ctx.CancellationToken);
                            }

                            var fix = walker.Next(ctx.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds());
                            step = await Step.Run(UpdateStep, ctx, async () =>
                            {
                                var payload = GamePayloads.Encode(options.Protocol, fix.ToContract());
                                var (response, completion) = await WalkersScenario.AwaitUpdateAsync(
                                    connection!.InvokeAsync(HubMethods.UpdateLocation, payload, 1, ctx.CancellationToken), payload.Length);
                                if (response.IsError)
                                {
                                    return response;
                                }

                                var (accepted, reason) = GamePayloads.ReadAck(options.Protocol, completion.Result, out var list);
                                nearby = list ?? nearby; // null = unchanged since the last list on this connection
                                return accepted ? response : Response.Fail(reason ?? "rejected", reason, completion.FrameBytes, payload.Length);
                            });
                            if (step.IsError)
                            {
                                return step;
                            }

                            if (ctx.Random.NextDouble() < options.CaptureProbability && Nearest(nearby, fix, options.CaptureRangeMeters) is { } creature)
                            {
                                step = await CrowdScenario.ThrowAsync(options, ctx, player, creature, "throw");
                                nearby = Array.FindAll(nearby, c => c.CreatureId != creature);
                                if (step.IsError)
                                {
                                    return step;
                                }
                            }
                        }
                    }

                    // A new connection gets a fresh nearby list with its first accepted fix.
                    nearby = [];
                }

                return Response.Ok("visited");
            })
            .WithWarmUpDuration(options.WarmUp)
            .WithDrainTimeout(visit + TimeSpan.FromSeconds(30))
            .WithLoadSimulations(Simulation.KeepConstant(options.Connections, options.Duration))
            .WithThresholds(ScenarioThresholds.For(options, ackTarget: true, ackStep: UpdateStep));
    }

    private static string? Nearest(NearbyCreature[] nearby, LocationFix fix, double range)
    {
        string? best = null;
        var bestDistance = range;
        foreach (var c in nearby)
        {
            var d = Geo.Distance(fix.Latitude, fix.Longitude, c.Latitude, c.Longitude);
            if (d <= bestDistance)
            {
                (best, bestDistance) = (c.CreatureId, d);
            }
        }

        return best;
    }
}
