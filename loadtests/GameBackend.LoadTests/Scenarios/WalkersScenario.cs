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

    /// <summary>Status of the turns of a player whose connection the server refused (503: at its connection cap).</summary>
    public const string ServerFull = "server.full";

    /// <summary>Creates the scenario (named <paramref name="name"/>; <c>baseline</c> uses the same traffic).</summary>
    public static ScenarioProps Create(LoadTestOptions options, string name = "walkers")
    {
        var players = Array.Empty<Player?>();
        var walkers = Array.Empty<Walker>();
        var reconnects = new ReconnectStats();
        ScenarioInitContext? initContext = null;

        return Scenario.Create(name, async ctx =>
            {
                var index = (int)(ctx.InvocationNumber % players.Length);
                if (players[index] is not { } player)
                {
                    return Response.Fail(ServerFull); // refused at connect: this player never got to play
                }

                var walker = walkers[index];
                Task<Completion> pending;
                RawHubConnection connection;
                int sent;
                if (player.Reconnecting)
                {
                    return Response.Fail(Reconnector.OutageStatus);
                }

                // One lock per walker (never contended across players) keeps seq order on the wire.
                lock (walker)
                {
                    var fix = walker.Next(ctx.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds());
                    var buffer = GamePayloads.ScratchBuffer;
                    GamePayloads.WriteLocationUpdate(options.Protocol, buffer, fix);
                    sent = buffer.WrittenCount;
                    connection = player.Connection;
                    pending = connection.InvokeAsync(HubMethods.UpdateLocation, buffer.WrittenSpan, 1, ctx.CancellationToken);
                }

                return await Step.Run("update", ctx, async () =>
                {
                    // Awaited inline (not through a helper) so an update costs no extra state machine.
                    Completion completion;
                    try
                    {
                        completion = await pending;
                    }
                    catch (HubConnectionClosedException ex)
                    {
                        return Outage(ex, sent);
                    }

                    if (completion.IsError)
                    {
                        return Response.Fail(HubError, completion.Error, completion.FrameBytes, sent);
                    }

                    var (accepted, reason) = GamePayloads.ReadAck(options.Protocol, completion.Result);
                    if (!accepted)
                    {
                        return Response.Fail(reason ?? "rejected", reason, completion.FrameBytes, sent);
                    }

                    player.Accepted(connection, initContext, ctx.TimeProvider);
                    return Response.Ok("accepted", completion.FrameBytes, sent);
                });
            })
            .WithInit(async init =>
            {
                initContext = init;
                (players, var refused) = await Players.ConnectAvailableAsync(options, options.Connections, name, init.CancellationToken);
                if (refused > 0)
                {
                    init.Metrics["connections refused"] = $"{refused} of {options.Connections} (503: the server is at its connection cap; their turns fail as {ServerFull})";
                }
                var seqBase = Players.SeqBase(init.TimeProvider);
                walkers = Enumerable.Range(0, players.Length).Select(i => new Walker(Seeds.Combine(init.Seed, i), options.Centre, seqBase: seqBase)).ToArray();
                foreach (var p in players.OfType<Player>())
                {
                    Reconnector.Watch(p, options, init, reconnects);
                }
            })
            .WithClean(async init =>
            {
                await Players.DisposeAsync(players.OfType<Player>());
                reconnects.Report(init);
            })
            .WithWarmUpDuration(options.WarmUp)
            .WithMaxInFlight(options.MaxInFlight)
            .WithLoadSimulations(Simulation.Inject(options.Rate, TimeSpan.FromSeconds(1), options.Duration))
            .WithThresholds(ScenarioThresholds.For(options, ackTarget: true));
    }

    /// <summary>Failure threshold (explicit or the 0 % target) and an explicit p99, for scenarios without an ack target.</summary>
    public static Threshold[] CommonThresholds(LoadTestOptions options) => ScenarioThresholds.For(options, ackTarget: false);

    /// <summary>
    /// Awaits an update's completion and turns it into a response: a connection that is down (or went down
    /// while the update was in flight) fails as <see cref="Reconnector.OutageStatus"/>, counted apart from
    /// server errors; the first accepted fix after a loss records the recovery time.
    /// </summary>
    internal static Response Outage(HubConnectionClosedException ex, int sent) => Response.Fail(Reconnector.OutageStatus, ex.Message, 0, sent);

    /// <summary>The same as an awaitable helper, for paths that are not hot (session).</summary>
    internal static async Task<(Response Response, Completion Completion)> AwaitUpdateAsync(Task<Completion> pending, int sent)
    {
        Completion completion;
        try
        {
            completion = await pending;
        }
        catch (HubConnectionClosedException ex)
        {
            return (Response.Fail(Reconnector.OutageStatus, ex.Message, 0, sent), default);
        }

        return (completion.IsError ? Response.Fail(HubError, completion.Error, completion.FrameBytes, sent) : Response.Ok("accepted", completion.FrameBytes, sent), completion);
    }
}
