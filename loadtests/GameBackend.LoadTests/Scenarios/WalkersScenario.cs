using GameBackend.Contracts;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>
/// N players walk around the city sending <c>UpdateLocation</c> at an open-loop rate spread evenly over
/// their connections. Scenario latency is from the intended send time; the <c>update</c> step's latency
/// is from the actual send, so the two show how much queueing the client itself saw.
/// </summary>
public static class WalkersScenario
{
    /// <summary>Status code of an invocation the hub answered with an error.</summary>
    public const string HubError = "hub.error";

    /// <summary>Creates the scenario (named <paramref name="name"/>; <c>baseline</c> uses the same traffic).</summary>
    public static ScenarioProps Create(LoadTestOptions options, string name = "walkers")
    {
        var players = Array.Empty<Player>();
        var walkers = Array.Empty<Walker>();

        return Scenario.Create(name, async ctx =>
            {
                var index = (int)(ctx.InvocationNumber % players.Length);
                var player = players[index];
                var walker = walkers[index];
                Task<Completion> pending;
                int sent;

                // One lock per walker (never contended across players) keeps seq order on the wire.
                lock (walker)
                {
                    var fix = walker.Next(ctx.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds());
                    var buffer = GamePayloads.ScratchBuffer;
                    GamePayloads.WriteLocationUpdate(options.Protocol, buffer, fix);
                    sent = buffer.WrittenCount;
                    pending = player.Connection.InvokeAsync(HubMethods.UpdateLocation, buffer.WrittenSpan, 1, ctx.CancellationToken);
                }

                return await Step.Run("update", ctx, async () =>
                {
                    var completion = await pending;
                    if (completion.IsError)
                    {
                        return Response.Fail(HubError, completion.Error, completion.FrameBytes, sent);
                    }

                    var (accepted, reason) = GamePayloads.ReadAck(options.Protocol, completion.Result);
                    return accepted
                        ? Response.Ok("accepted", completion.FrameBytes, sent)
                        : Response.Fail(reason ?? "rejected", reason, completion.FrameBytes, sent);
                });
            })
            .WithInit(async init =>
            {
                players = await Players.ConnectAsync(options, options.Connections, name, init.CancellationToken);
                var seqBase = Players.SeqBase(init.TimeProvider);
                walkers = players.Select(p => new Walker(Seeds.Combine(init.Seed, p.Index), options.Centre, seqBase: seqBase)).ToArray();
            })
            .WithClean(async _ => await Players.DisposeAsync(players))
            .WithWarmUpDuration(options.WarmUp)
            .WithMaxInFlight(options.MaxInFlight)
            .WithLoadSimulations(Simulation.Inject(options.Rate, TimeSpan.FromSeconds(1), options.Duration))
            .WithThresholds(CommonThresholds(options));
    }

    /// <summary>Thresholds given on the command line.</summary>
    public static Threshold[] CommonThresholds(LoadTestOptions options)
    {
        var list = new List<Threshold>();
        if (options.MaxP99Ms is { } p99)
        {
            list.Add(Threshold.P99Below(p99));
        }

        if (options.MaxFailPercent is { } fail)
        {
            list.Add(Threshold.FailPercentAtMost(fail));
        }

        return [.. list];
    }
}
