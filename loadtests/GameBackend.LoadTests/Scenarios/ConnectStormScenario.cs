using System.Collections.Concurrent;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>
/// Opens <see cref="LoadTestOptions.Connections"/> connections at <see cref="LoadTestOptions.Rate"/> per second
/// (login, negotiate, WebSocket, handshake) and keeps them open until the end. Reports connect latency,
/// failures and, given the server PID, resident memory per connection (VmRSS before/after).
/// </summary>
public static class ConnectStormScenario
{
    /// <summary>Creates the scenario.</summary>
    public static ScenarioProps Create(LoadTestOptions options)
    {
        var connected = new ConcurrentBag<Player>();
        long? rssBefore = null;

        // Inject spaces connection k at k / rate; stopping half an interval after the last one gives exactly N.
        var during = TimeSpan.FromSeconds((options.Connections - 0.5) / options.Rate);

        return Scenario.Create("connect-storm", async ctx =>
            {
                var index = (int)ctx.InvocationNumber;
                var deviceId = $"{options.DevicePrefix}-storm-{options.Seed}-{index}";
                Contracts.LoginResponse? login = null;
                var loginResponse = await Step.Run("login", ctx, async () =>
                {
                    login = await GameApi.LoginAsync(options.Target, deviceId, $"storm {index}", ctx.CancellationToken);
                    return Response.Ok("200");
                });
                if (loginResponse.IsError)
                {
                    return loginResponse;
                }

                return await Step.Run("connect", ctx, async () =>
                {
                    var connection = await RawHubConnection.ConnectAsync(options.HubUrl, login!.Token, options.Protocol, ctx.CancellationToken, options.SkipNegotiation);
                    connected.Add(new Player(index, login.PlayerId, connection));
                    return Response.Ok("connected");
                });
            })
            .WithInit(_ =>
            {
                rssBefore = options.ServerPid is { } pid ? ProcFs.ReadRssBytes(pid) : null;
                return Task.CompletedTask;
            })
            .WithClean(async init =>
            {
                var open = connected.Count(p => !p.Connection.Closed.IsCompleted);
                init.Metrics["connections open at end"] = $"{open} of {options.Connections}";
                if (options.ServerPid is { } pid && rssBefore is { } before && ProcFs.ReadRssBytes(pid) is { } after)
                {
                    init.Metrics["server rss"] = $"{before / 1048576.0:F1} MiB -> {after / 1048576.0:F1} MiB";
                    init.Metrics["server memory per connection"] = open == 0 ? "n/a" : $"{(after - before) / 1024.0 / open:F1} KiB";
                }

                await Players.DisposeAsync(connected);
            })
            .WithoutWarmUp()
            .WithMaxInFlight(options.MaxInFlight)
            .WithDrainTimeout(TimeSpan.FromSeconds(30))
            .WithLoadSimulations(Simulation.Inject(options.Rate, TimeSpan.FromSeconds(1), during))
            .WithThresholds(WalkersScenario.CommonThresholds(options));
    }
}
