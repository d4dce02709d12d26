using System.Diagnostics;
using GameBackend.Contracts;
using GameBackend.Server.Tests.Infrastructure;

namespace GameBackend.Server.Tests;

/// <summary>
/// Nothing accepted is lost: PostgreSQL stops while players keep sending, and a server stops
/// gracefully while PostgreSQL is down. Stops the shared PostgreSQL briefly, so it runs alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresOutageCollection
{
    public const string Name = "postgres-outage";
}

[Collection(PostgresOutageCollection.Name)]
public sealed class HistoryFaultTests
{
    [Fact]
    public async Task Updates_accepted_during_a_database_outage_are_all_written_exactly_once()
    {
        await using var database = await TestDatabase.CreateAsync("gb_outage");
        await using var server = await StartAsync(database, spill: null);
        await using var player = await server.ConnectPlayerAsync(WireProtocol.MessagePack);
        var accepted = new List<long>();

        await SendAsync(server, player, 10, accepted);
        await Services("pg-stop");
        try
        {
            await SendAsync(server, player, 20, accepted);
        }
        finally
        {
            await Services("pg-start");
        }

        await SendAsync(server, player, 10, accepted);
        await AssertExactlyOnceAsync(database, player.PlayerId, accepted);
    }

    [Fact]
    public async Task A_graceful_stop_during_an_outage_spills_and_the_next_start_writes_everything()
    {
        await using var database = await TestDatabase.CreateAsync("gb_restart");
        var spill = Path.Combine(Path.GetTempPath(), "gb-test-spill-" + Guid.NewGuid().ToString("N"));
        var accepted = new List<long>();
        string playerId;
        var first = await StartAsync(database, spill);
        try
        {
            await using var player = await first.ConnectPlayerAsync(WireProtocol.Json, deviceId: "restart-device");
            playerId = player.PlayerId;
            await SendAsync(first, player, 10, accepted);
            await Services("pg-stop");
            await SendAsync(first, player, 15, accepted);
        }
        finally
        {
            try
            {
                await first.DisposeAsync();
            }
            finally
            {
                await Services("pg-start");
            }
        }

        await using var second = await StartAsync(database, spill);
        await AssertExactlyOnceAsync(database, playerId, accepted);
        Directory.Delete(spill, recursive: true);
    }

    private static Task<TestServer> StartAsync(TestDatabase database, string? spill) => TestServer.StartAsync(new Dictionary<string, string?>
    {
        ["ConnectionStrings:Postgres"] = database.ConnectionString,
        ["History:FlushInterval"] = "00:00:00.050",
        ["History:RetryMaxDelay"] = "00:00:00.500",
        ["History:SpillDirectory"] = spill,
    });

    /// <summary>Sends <paramref name="count"/> fixes one game second apart (each one is stored) and asserts each is accepted.</summary>
    internal static async Task SendAsync(TestServer server, TestPlayer player, int count, List<long> accepted)
    {
        for (var i = 0; i < count; i++)
        {
            server.Time.Advance(TimeSpan.FromSeconds(1));
            var seq = player.NextSeq() + 1_000;
            var ack = await player.UpdateAsync(new LocationUpdate
            {
                Seq = seq, Timestamp = server.Time.GetUtcNow().ToUnixTimeMilliseconds(), Latitude = 60.1699 + (seq * 0.00001), Longitude = 24.9384,
            });
            Assert.True(ack.Accepted, ack.Reason);
            accepted.Add(seq);
        }
    }

    /// <summary>Polls (60 s at most) until the accepted fixes are stored, then asserts each is stored exactly once.</summary>
    internal static async Task AssertExactlyOnceAsync(TestDatabase database, string playerId, List<long> accepted)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                var count = await database.ScalarAsync<long>("select count(*) from position_samples where player_id = @p", ("p", playerId));
                if (count >= accepted.Count)
                {
                    break;
                }
            }
            catch (Npgsql.NpgsqlException)
            {
                // PostgreSQL may still be starting, or the schema not be migrated yet.
            }

            await Task.Delay(100, cts.Token);
        }

        Assert.Equal(accepted.Count, await database.ScalarAsync<long>("select count(*) from position_samples where player_id = @p", ("p", playerId)));
        Assert.Equal(accepted.Count, await database.ScalarAsync<long>("select count(distinct seq) from position_samples where player_id = @p", ("p", playerId)));
        Assert.Equal(accepted.Min(), await database.ScalarAsync<long>("select min(seq) from position_samples where player_id = @p", ("p", playerId)));
        Assert.Equal(accepted.Max(), await database.ScalarAsync<long>("select max(seq) from position_samples where player_id = @p", ("p", playerId)));
    }

    private static async Task Services(string command)
    {
        var script = Environment.GetEnvironmentVariable("GAMEBACKEND_SERVICES_SCRIPT") is { Length: > 0 } s ? s : FindScript();
        using var process = Process.Start(new ProcessStartInfo("bash", [script, command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, $"services.sh {command} failed: {await process.StandardError.ReadToEndAsync()}");
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "scripts", "services.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("scripts/services.sh not found above " + AppContext.BaseDirectory);
    }
}
