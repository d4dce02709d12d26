using System.Collections.Concurrent;
using GameBackend.BaselineHub;
using GameBackend.Contracts;
using GameBackend.LoadTests.Cli;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.Scenarios;
using GameBackend.LoadTests.SignalR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GameBackend.LoadTests.Tests;

/// <summary>Reconnect after a server goes away, whole-visit sessions and mixed scenarios, against bare hubs on real Kestrel.</summary>
public sealed class ReconnectAndSessionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Players_of_a_stopped_server_reconnect_to_the_other_and_the_outage_is_reported()
    {
        var doomed = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var doomedStopped = false;
        await using var survivor = await BaselineServer.StartAsync().WaitAsync(Timeout);
        try
        {
            var options = new LoadTestOptions
            {
                Target = doomed.Address,
                Targets = [doomed.Address, survivor.Address],
                Connections = 4, // players 0 and 2 on the doomed server
                Rate = 40,
                Duration = TimeSpan.FromSeconds(4),
                WarmUp = TimeSpan.Zero,
                DefaultThresholds = false,
                // Every retry waits 0.5 s (± 20 %): each cut-off player misses at least 4 of its 10 updates/s.
                ReconnectDelays = [TimeSpan.FromMilliseconds(500)],
            };
            var inner = WalkersScenario.Create(options);
            var midRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var scenario = Scenario.Create("walkers", ctx =>
                {
                    if (ctx.InvocationNumber == 20)
                    {
                        midRun.TrySetResult();
                    }

                    return inner.Run(ctx);
                })
                .WithInit(inner.Init!)
                .WithClean(inner.Clean!)
                .WithLoadSimulations([.. inner.LoadSimulations]);

            var run = LoadRunner.RegisterScenarios(scenario).RunAsync();
            await midRun.Task.WaitAsync(Timeout);
            var survivorBefore = survivor.Options.UpdateCount;
            await doomed.DisposeAsync().AsTask().WaitAsync(Timeout);
            doomedStopped = true;
            var result = await run.WaitAsync(Timeout);
            var stats = result.Scenario("walkers");

            Assert.Empty(result.Errors);
            // Updates due while a player was cut off fail fast as client.disconnected, never as anything else.
            Assert.InRange(stats.Fail.Count, 2 * 3, long.MaxValue);
            Assert.Equal([Reconnector.OutageStatus], stats.Fail.StatusCodes.Keys);
            Assert.Matches(@"^\d+, reconnected \d+, failed attempts \d+, re-logins 0$", stats.Metrics["connection losses"]);

            // Both cut-off players came back and their first accepted fix recorded the outage, at least the
            // retry delay long. (A first retry may still reach the stopping server, which closes hub
            // connections before it stops listening; the next loss then moves the player on.)
            var recovery = stats.Steps.Single(s => s.Name == Reconnector.RecoveryStep);
            Assert.True(recovery.Ok.Count >= 2, $"recoveries: {recovery.Ok.Count}");
            Assert.InRange(recovery.Ok.Latency.MinMs, 500 * 0.8, double.MaxValue);
            var text = Reports.ReportWriter.Text(result);
            Assert.Matches(@"walkers recovery\s+p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms over \d+ losses", text);
            Assert.Matches(@"walkers outage failures\s+\d+ of \d+ failures \(client.disconnected", text);
            // Every accepted update was answered by one of the two servers, and the survivor kept answering.
            Assert.True(survivor.Options.UpdateCount > survivorBefore);
            Assert.InRange(stats.Ok.Count, 1, doomed.Options.UpdateCount + survivor.Options.UpdateCount);
        }
        finally
        {
            if (!doomedStopped)
            {
                await doomed.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_refused_token_makes_the_player_log_in_again(bool skipNegotiation)
    {
        var tokens = new TokenState();
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(tokens);
        builder.Services.AddSignalR().AddMessagePackProtocol();
        await using var app = builder.Build();
        app.UseWebSockets();
        // Only the current generation's token gets in (negotiate and WebSocket alike).
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(HubMethods.Path) && context.Request.Query["access_token"] != tokens.Current
                && context.Request.Headers.Authorization != "Bearer " + tokens.Current)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            await next(context);
        });
        app.MapPost("/api/players/login", (LoginRequest r) => Results.Ok(new LoginResponse { PlayerId = r.DeviceId, Token = tokens.Current }));
        app.MapHub<TokenHub>(HubMethods.Path);
        await app.StartAsync().WaitAsync(Timeout);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        var options = new LoadTestOptions
        {
            Target = address, Connections = 3, Rate = 30, Duration = TimeSpan.FromSeconds(3), WarmUp = TimeSpan.Zero,
            SkipNegotiation = skipNegotiation, DefaultThresholds = false,
        };
        var inner = WalkersScenario.Create(options);
        var midRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scenario = Scenario.Create("walkers", ctx =>
            {
                if (ctx.InvocationNumber == 15)
                {
                    midRun.TrySetResult();
                }

                return inner.Run(ctx);
            })
            .WithInit(inner.Init!).WithClean(inner.Clean!).WithLoadSimulations([.. inner.LoadSimulations]);

        var run = LoadRunner.RegisterScenarios(scenario).RunAsync();
        await midRun.Task.WaitAsync(Timeout);
        tokens.Rotate(); // every token issued so far is now refused, and every connection is dropped
        var result = await run.WaitAsync(Timeout);
        var stats = result.Scenario("walkers");

        Assert.Empty(result.Errors);
        Assert.Matches(@"^3, reconnected 3, failed attempts \d+, re-logins 3$", stats.Metrics["connection losses"]);
        Assert.Equal(3, stats.Steps.Single(s => s.Name == Reconnector.RecoveryStep).Ok.Count);
        Assert.All(stats.Fail.StatusCodes.Keys, code => Assert.Equal(Reconnector.OutageStatus, code));
    }

    private sealed class TokenState
    {
        private int _generation = 1;
        public ConcurrentDictionary<string, HubCallerContext> Connections { get; } = new();
        public string Current => "token-" + Volatile.Read(ref _generation);

        public void Rotate()
        {
            Interlocked.Increment(ref _generation);
            foreach (var connection in Connections.Values)
            {
                connection.Abort();
            }
        }
    }

    private sealed class TokenHub(TokenState state) : Hub
    {
        public override Task OnConnectedAsync()
        {
            state.Connections[Context.ConnectionId] = Context;
            return Task.CompletedTask;
        }

        public override Task OnDisconnectedAsync(Exception? exception)
        {
            state.Connections.TryRemove(Context.ConnectionId, out _);
            return Task.CompletedTask;
        }

        [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "SignalR calls instance methods only.")]
        public LocationAck UpdateLocation(LocationUpdate update) => new() { Seq = update.Seq, Accepted = true };
    }

    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task A_session_logs_in_walks_reconnects_and_walks_again(HubProtocol protocol)
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var options = new LoadTestOptions
        {
            Target = server.Address,
            Protocol = protocol,
            Connections = 2,
            Duration = TimeSpan.FromSeconds(1),
            WarmUp = TimeSpan.Zero,
            SessionSteps = 2,
            SessionStepInterval = TimeSpan.FromMilliseconds(50),
            DefaultThresholds = false,
        };

        var result = await LoadRunner.RegisterScenarios(SessionScenario.Create(options)).RunAsync().WaitAsync(Timeout);
        var stats = result.Scenario("session");
        long Ok(string step) => stats.Steps.Single(s => s.Name == step).Ok.Count;

        Assert.True(result.Passed, string.Join("; ", result.Errors));
        Assert.Equal(0, stats.Fail.Count);
        var visits = stats.Ok.Count;
        Assert.True(visits >= 2);
        Assert.Equal(["login", "connect", "update", "reconnect"], stats.Steps.Select(s => s.Name));
        Assert.Equal((visits, visits, visits), (Ok("login"), Ok("connect"), Ok("reconnect")));
        Assert.Equal(4 * visits, Ok("update"));
        Assert.Equal(4 * visits, server.Options.UpdateCount);
    }

    [Fact]
    public async Task Scenarios_mix_by_weight_in_one_run()
    {
        await using var server = await BaselineServer.StartAsync().WaitAsync(Timeout);
        var output = new StringWriter();

        var code = await LoadTestCli.RunAsync(
            ["--target", server.Address.ToString(), "--scenario", "walkers:3,session:1", "--connections", "8", "--rate", "40", "--duration", "1s",
             "--warmup", "0", "--session-steps", "1", "--session-step-interval", "10ms", "--no-progress", "--no-default-thresholds", "--max-fail-pct", "0"], output)
            .WaitAsync(Timeout);

        var text = output.ToString();
        Assert.True(code == 0, text);
        Assert.Matches(@"walkers connections\s+6 \(weight 3\)", text);
        Assert.Matches(@"session connections\s+2 \(weight 1\)", text);
        Assert.Matches(@"walkers\s+\(all\)\s+ok\s+30\s", text); // 3/4 of 40/s for 1 s
        Assert.Matches(@"session\s+update\s+ok\s+\d+", text);
    }
}
