using GameBackend.Contracts;
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

/// <summary>The capture-storm checks against a tiny stand-in game hub with one creature at the meeting point.</summary>
public sealed class CaptureStormTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(HubProtocol.Json, false, true)]
    [InlineData(HubProtocol.MessagePack, false, true)]
    [InlineData(HubProtocol.MessagePack, true, false)]
    public async Task Exactly_one_player_captures_the_creature(HubProtocol protocol, bool buggyServer, bool expectPass)
    {
        await using var app = await StubGameServer.StartAsync<CreatureHub>(s => s.AddSingleton(new CreatureState { Buggy = buggyServer }), Timeout, maxReceiveBytes: 1 << 20);
        var options = new LoadTestOptions
        {
            Target = app.Address,
            Protocol = protocol,
            Connections = 12,
            CaptureStartDistance = 4,
            CreatureWait = TimeSpan.FromSeconds(30),
        };

        var result = await LoadRunner.RegisterScenarios(CaptureStormScenario.Create(options)).RunAsync().WaitAsync(Timeout);
        var stats = result.Scenario("capture-storm");

        Assert.Empty(result.Errors);
        Assert.Equal(12, stats.AllCount);
        Assert.Equal(expectPass, result.Passed);
        Assert.Equal(buggyServer ? 12 : 1, stats.Ok.StatusCodes[CaptureOutcomes.Captured]);
        Assert.Equal("c1", stats.Metrics["creature"]);
        Assert.Equal(12, stats.Steps.Single(s => s.Name == "throw").Ok.Count);
    }

    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task Large_results_spanning_many_websocket_frames_are_reassembled(HubProtocol protocol)
    {
        await using var app = await StubGameServer.StartAsync<CreatureHub>(s => s.AddSingleton(new CreatureState { Buggy = false }), Timeout, maxReceiveBytes: 1 << 20);
        using var cts = new CancellationTokenSource(Timeout);
        await using var connection = await RawHubConnection.ConnectAsync(GameApi.HubUrl(app.Address), "t", protocol, cts.Token);

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => connection.InvokeAsync(HubMethods.GetNearby, default, 0, cts.Token)));

        foreach (var completion in results)
        {
            Assert.True(completion.FrameBytes > 64 * 1024);
            var nearby = GamePayloads.Decode<NearbyCreature[]>(protocol, completion.Result);
            Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"creature-{i}"), nearby.Select(c => c.CreatureId));
        }
    }

    private sealed class CreatureHub(CreatureState state) : Hub
    {
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "SignalR calls instance methods only.")]
        public NearbyCreature[] GetNearby() =>
            [.. Enumerable.Range(0, 1000).Select(i => new NearbyCreature { CreatureId = $"creature-{i}", Species = "s", Rarity = "common", Latitude = i, Longitude = i })];

        public LocationAck UpdateLocation(LocationUpdate update)
        {
            var near = Geo.Distance(update.Latitude, update.Longitude, state.Latitude, state.Longitude) < 50;
            return new LocationAck
            {
                Seq = update.Seq,
                Accepted = true,
                Nearby = near ? [new NearbyCreature { CreatureId = "c1", Latitude = state.Latitude, Longitude = state.Longitude }] : [],
            };
        }

        public CaptureResult TryCapture(CaptureRequest request)
        {
            var won = state.Buggy || Interlocked.CompareExchange(ref state.Winner, request.AttemptId, null) is null;
            return new CaptureResult
            {
                AttemptId = request.AttemptId,
                CreatureId = request.CreatureId,
                Outcome = request.CreatureId != "c1" ? CaptureOutcomes.NotFound : won ? CaptureOutcomes.Captured : CaptureOutcomes.AlreadyCaptured,
            };
        }
    }

    private sealed class CreatureState
    {
        public double Latitude = 52.52;
        public double Longitude = 13.405;
        public bool Buggy;
        public string? Winner;
    }
}
