using GameBackend.Contracts;
using GameBackend.Domain.Geo;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests;

/// <summary>
/// A capture race with PostgreSQL's <c>captures</c> table as the commit point: throws that reach the cell
/// while the winner's row commits take their answer from that commit (the cell's <c>TryCapture</c>
/// interleaves), and the race still has exactly one winner, the one the table holds.
/// </summary>
public sealed class CaptureRaceLedgerTests
{
    [Fact]
    public async Task With_the_ledger_a_hundred_throwers_make_one_winner_and_every_loser_names_it()
    {
        await using var database = await TestDatabase.CreateAsync("gb_race");
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Game:Spawning:TickInterval"] = "00:00:00.050",
            ["Game:Spawning:AmbientPerSquareKm"] = "1500",
            ["Game:Spawning:Seed"] = "77",
        });
        var (scout, target) = await CaptureRaceTests.FindCreatureAsync(server, new GeoPoint(48.8566, 2.3522));
        await using var _ = scout;
        var now = server.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var throwers = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            var p = await server.ConnectPlayerAsync(i % 2 == 0 ? WireProtocol.Json : WireProtocol.MessagePack);
            Assert.True((await p.MoveToAsync(target.Latitude, target.Longitude, now)).Accepted);
            return p;
        }));
        try
        {
            using var start = new SemaphoreSlim(0);
            var throws = throwers.Select(async (t, i) =>
            {
                await start.WaitAsync(TestServer.Timeout);
                return await t.Connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture,
                    new CaptureRequest { CreatureId = target.CreatureId, AttemptId = "ledger-" + i }).WaitAsync(TestServer.Timeout);
            }).ToList();
            start.Release(throwers.Length);
            var results = await Task.WhenAll(throws);

            var winner = Assert.Single(results, r => r.Outcome == CaptureOutcomes.Captured);
            Assert.All(results, r => Assert.Contains(r.Outcome, new[] { CaptureOutcomes.Captured, CaptureOutcomes.AlreadyCaptured, CaptureOutcomes.Escaped }));
            Assert.All(results.Where(r => r.Outcome == CaptureOutcomes.AlreadyCaptured), r =>
            {
                Assert.Equal(winner.WinnerPlayerId, r.WinnerPlayerId);
                Assert.Equal(winner.CapturedAt, r.CapturedAt);
            });
            Assert.Equal(throwers[Array.IndexOf(results, winner)].PlayerId, winner.WinnerPlayerId);

            // The table, the commit point, holds that one winner.
            Assert.Equal(1, await database.ScalarAsync<long>("select count(*) from captures where creature_id = @c", ("c", target.CreatureId)));
            Assert.Equal(winner.WinnerPlayerId, await database.ScalarAsync<string>("select player_id from captures where creature_id = @c", ("c", target.CreatureId)));
        }
        finally
        {
            await Task.WhenAll(throwers.Select(t => t.DisposeAsync().AsTask()));
        }
    }
}
