using System.Collections.Concurrent;
using GameBackend.Contracts;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.Reports;
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

/// <summary>
/// The crowd scenario against a stand-in festival hub on real Kestrel: every connection's first ack carries a
/// nearby list and later ones leave it out ("unchanged"); its second update triggers a spawn pushed twice (a
/// duplicate) and its third a spawn pushed once, each stamped <see cref="PushAgeMs"/> in the past.
/// </summary>
public sealed class CrowdTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private const int PushAgeMs = 100;

    /// <summary>
    /// The bare yardstick for a crowd: the baseline hub broadcasts spawn events to every connection, and the
    /// crowd scenario measures their delivery like the game's (every push once to every player, none twice).
    /// </summary>
    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task The_baseline_hub_pushes_a_crowds_spawns_to_every_connection(HubProtocol protocol)
    {
        await using var server = await GameBackend.BaselineHub.BaselineServer.StartAsync(pushesPerSecond: 20).WaitAsync(Timeout);
        var options = new LoadTestOptions
        {
            Target = server.Address,
            Protocol = protocol,
            Connections = 4,
            Rate = 8,
            Duration = TimeSpan.FromSeconds(1),
            WarmUp = TimeSpan.Zero,
            CaptureProbability = 0,
            MaxP99Ms = 60_000,
            MaxPushP99Ms = 60_000,
        };
        var result = await LoadRunner.RegisterScenarios(CrowdScenario.Create(options)).RunAsync().WaitAsync(Timeout);

        Assert.True(result.Passed, string.Join("; ", result.Errors.Concat(result.Thresholds.Where(t => !t.Passed).Select(t => t.Description))));
        var push = result.Scenario("crowd").Steps.Single(s => s.Name == ScenarioThresholds.PushStep);
        Assert.True(push.Ok.Count > 0, "no push was delivered");
        Assert.Equal(0, push.Fail.Count); // no creature pushed twice to one player
        Assert.True(server.Options.PushCount > 0);
    }

    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task Push_latency_duplicates_and_throws_are_reported(HubProtocol protocol)
    {
        await using var app = await StubGameServer.StartAsync<FestivalHub>(s => s.AddSingleton(new FestivalState()), Timeout);
        var folder = Path.Combine(Path.GetTempPath(), "loadtests-crowd-" + Guid.NewGuid().ToString("N"));
        var options = new LoadTestOptions
        {
            Target = app.Address,
            Protocol = protocol,
            Connections = 5,
            Rate = 50, // 10 updates per player in 1 s: every player sees both spawns
            Duration = TimeSpan.FromSeconds(1),
            WarmUp = TimeSpan.Zero,
            CaptureProbability = 1,
            MaxP99Ms = 60_000,
            MaxPushP99Ms = 60_000,
        };
        try
        {
            var result = await LoadRunner.RegisterScenarios(CrowdScenario.Create(options))
                .WithReportFolder(folder).WithReportFileName("crowd")
                .RunAsync().WaitAsync(Timeout);
            var stats = result.Scenario("crowd");

            Assert.True(result.Passed, string.Join("; ", result.Errors.Concat(result.Thresholds.Where(t => !t.Passed).Select(t => t.Description))));
            Assert.Equal(50, stats.AllCount);
            var ack = stats.Steps.Single(s => s.Name == CrowdScenario.AckStep);
            Assert.Equal(50, ack.Ok.Count);

            // Two creatures per player delivered once, one of them a second time.
            var push = stats.Steps.Single(s => s.Name == ScenarioThresholds.PushStep);
            Assert.Equal(10, push.Ok.Count);
            Assert.Equal(5, push.Fail.StatusCodes[CrowdScenario.Duplicate]);
            Assert.Equal("5 (same creatureId pushed twice to one player, measured window)", stats.Metrics["push duplicates"]);
            Assert.InRange(push.Ok.Latency.Percent50, PushAgeMs - 1, double.MaxValue); // spawnedAt is whole ms

            // Each player throws at the creature of its first ack; later acks leave the list out, the kept
            // list no longer holds it, so nobody throws twice at it.
            var throws = stats.Steps.Single(s => s.Name == CrowdScenario.ThrowStep);
            Assert.Equal(0, throws.Fail.Count);
            Assert.Equal(1 + 10, throws.Ok.StatusCodes[CaptureOutcomes.Captured]); // the shared one once, every pushed one
            Assert.Equal(4, throws.Ok.StatusCodes[CaptureOutcomes.AlreadyCaptured]);
            Assert.Equal(5 + 5 * 2, app.Services.GetRequiredService<FestivalState>().Throws.Count); // the shared creature plus both pushed ones, per player
            Assert.Equal(5, app.Services.GetRequiredService<FestivalState>().Throws.Count(t => t == "shared"));

            foreach (var ext in new[] { "txt", "md", "csv", "html" })
            {
                var text = await File.ReadAllTextAsync(Path.Combine(folder, "crowd." + ext));
                Assert.Contains("push", text, StringComparison.Ordinal);
                Assert.Contains("duplicate=5", text, StringComparison.Ordinal); // the push fail row's status codes
                if (ext != "csv")
                {
                    Assert.Contains("push duplicates", text, StringComparison.Ordinal);
                }
            }

            Assert.Contains(File.ReadLines(Path.Combine(folder, "crowd.csv")), l => l.StartsWith("crowd,push,ok,10,", StringComparison.Ordinal));
            Assert.Contains("bytes per message", ReportWriter.Text(result), StringComparison.Ordinal);
            Assert.Matches(@"crowd push delivery\s+p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms over 10 deliveries \(spawnedAt -> receipt, per watcher\), duplicates 5", ReportWriter.Text(result));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task Ack_nearby_is_null_when_unchanged_and_a_list_when_sent(HubProtocol protocol)
    {
        await using var app = await StubGameServer.StartAsync<FestivalHub>(s => s.AddSingleton(new FestivalState()), Timeout);
        using var cts = new CancellationTokenSource(Timeout);
        await using var connection = await RawHubConnection.ConnectAsync(GameApi.HubUrl(app.Address), "t", protocol, cts.Token);

        var kept = new NearbyBuffer { WantId = (lat, _) => lat > 0 };
        async Task<NearbyCreature[]?> SendAsync(int seq)
        {
            var fix = new LocationUpdate { Seq = seq, Timestamp = 1, Latitude = 52.52, Longitude = 13.405 };
            var completion = await connection.InvokeAsync(HubMethods.UpdateLocation, GamePayloads.Encode(protocol, fix), 1, cts.Token).WaitAsync(Timeout);
            var (accepted, _) = GamePayloads.ReadAck(protocol, completion.Result, out var nearby);
            var (acceptedToo, _, present) = GamePayloads.ReadAck(protocol, completion.Result, kept);
            Assert.True(accepted && acceptedToo);
            Assert.Equal(nearby is not null, present);
            return nearby;
        }

        Assert.Equal(["shared"], (await SendAsync(1))!.Select(c => c.CreatureId));
        Assert.Null(await SendAsync(2));

        // The allocation-free reader keeps the first list through the "unchanged" ack.
        var entry = Assert.Single(kept.Items.ToArray());
        Assert.Equal((GamePayloads.Fnv1a("shared"), "shared", 52.52, 13.405), (entry.IdHash, entry.Id, entry.Latitude, entry.Longitude));
    }

    [Fact]
    public void Festival_walkers_stay_in_their_square_at_walking_pace()
    {
        var walker = new FestivalWalker(3, (52.52, 13.405), 300);
        var previous = walker.Position;
        for (var t = 0; t < 3600; t++)
        {
            var fix = walker.Next(t * 1000L);
            Assert.True(walker.Inside);
            Assert.InRange(Geo.Distance(previous.Latitude, previous.Longitude, fix.Latitude, fix.Longitude), 0, 1.6);
            Assert.Equal(t + 1, fix.Seq);
            previous = walker.Position;
        }
    }

    private sealed class FestivalHub(FestivalState state) : Hub
    {
        public async Task<LocationAck> UpdateLocation(LocationUpdate update)
        {
            var count = Context.Items.TryGetValue("n", out var n) && n is int previous ? previous + 1 : 1;
            Context.Items["n"] = count;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            CreatureSpawned Spawn(string id) => new()
            {
                CreatureId = id, Species = "s", Rarity = "common", Latitude = update.Latitude, Longitude = update.Longitude,
                SpawnedAt = now - PushAgeMs, CellId = "c",
            };

            if (count == 2)
            {
                var spawned = Spawn("a-" + Context.ConnectionId);
                await Clients.Caller.SendAsync(GameEvents.CreatureSpawned, spawned);
                await Clients.Caller.SendAsync(GameEvents.CreatureSpawned, spawned);
            }
            else if (count == 3)
            {
                await Clients.Caller.SendAsync(GameEvents.CreatureSpawned, Spawn("b-" + Context.ConnectionId));
            }

            return new LocationAck
            {
                Seq = update.Seq,
                Accepted = true,
                NearbyVersion = 1,
                Nearby = count == 1 ? [new NearbyCreature { CreatureId = "shared", Latitude = update.Latitude, Longitude = update.Longitude }] : null,
            };
        }

        public CaptureResult TryCapture(CaptureRequest request)
        {
            state.Throws.Add(request.CreatureId.Split('-')[0] is "a" or "b" ? "pushed" : request.CreatureId);
            var won = request.CreatureId != "shared" || Interlocked.Exchange(ref state.SharedTaken, 1) == 0;
            return new CaptureResult { AttemptId = request.AttemptId, CreatureId = request.CreatureId, Outcome = won ? CaptureOutcomes.Captured : CaptureOutcomes.AlreadyCaptured };
        }
    }

    internal sealed class FestivalState
    {
        public ConcurrentBag<string> Throws { get; } = [];
        public int SharedTaken;
    }
}
