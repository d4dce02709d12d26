using System.Net;
using System.Net.Http.Json;
using GameBackend.Contracts;
using GameBackend.Data.History;
using GameBackend.Server.Identity;
using GameBackend.Server.Tests.Infrastructure;
using GameBackend.Server.Tests.Rest;

namespace GameBackend.Server.Tests;

/// <summary>
/// Issue 12, finding 6: a PostgreSQL outage no longer blocks start-up. The server starts with its
/// database behind a closed <see cref="PostgresGate"/> (every connection refused), serves play to a
/// token issued before the outage, says Degraded on readiness and 503 on login; once the gate opens
/// the background migration runs and the rows played meanwhile arrive.
/// </summary>
public sealed class PostgresDownAtStartTests
{
    [Fact]
    public async Task The_server_starts_and_serves_play_while_postgres_is_down_and_catches_up_when_it_appears()
    {
        await using var database = await TestDatabase.CreateAsync("gb_pgdown");
        await using var gate = new PostgresGate(database.ConnectionString);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = gate.Through(database.AppConnectionString),
            ["ConnectionStrings:PostgresMigrations"] = gate.Through(database.ConnectionString),
            ["History:FlushInterval"] = "00:00:00.050",
            ["History:RetryMaxDelay"] = "00:00:00.500",
            ["Data:MigrationRetryMaxDelay"] = "00:00:01",
        });
        Assert.True(gate.Refused > 0, "the server tried PostgreSQL at start");

        // Readiness: up (play is served) but Degraded, naming PostgreSQL.
        var ready = await server.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var report = await ready.ReadJsonAsync();
        Assert.Equal("Degraded", report["status"]!.GetValue<string>());
        Assert.Equal("Degraded", report["checks"]!["postgres"]!["status"]!.GetValue<string>());
        Assert.Contains("PostgreSQL", report["checks"]!["postgres"]!["description"]!.GetValue<string>());

        // Accounts live in PostgreSQL: a login cannot be decided, so it is a 503 with Retry-After.
        var login = await server.Http.PostAsJsonAsync("/api/players/login", new { deviceId = "outage-device" });
        await login.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(login.Headers.RetryAfter);

        // A token issued before the outage (by any node: they share the signing key) plays.
        var playerId = PlayerTokens.GuestPrefix + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        var (token, expiresAt) = server.Services.GetRequiredService<PlayerTokens>().Issue(playerId, "Outage");
        await using var player = new TestPlayer(
            new LoginResponse { PlayerId = playerId, Token = token, ExpiresAt = expiresAt.ToUnixTimeMilliseconds() },
            server.BuildConnection(token, WireProtocol.MessagePack));
        await player.Connection.StartAsync().WaitAsync(TestServer.Timeout);

        // REST that needs stored data says the same, not 500.
        using var collection = new HttpRequestMessage(HttpMethod.Get, "/api/players/me/collection");
        collection.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var stored = await server.Http.SendAsync(collection);
        await stored.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(stored.Headers.RetryAfter);

        var accepted = new List<long>();
        await HistoryFaultTests.SendAsync(server, player, 10, accepted);

        var writer = server.Services.GetRequiredService<HistoryWriter>();
        Assert.Equal(0, writer.Statistics.RowsWritten);
        Assert.Equal(0, await database.ScalarAsync<long>("select count(*) from pg_tables where tablename = 'schema_migrations'"));

        gate.Open();

        // The background migration runs, and every fix played during the outage arrives exactly once.
        await HistoryFaultTests.AssertExactlyOnceAsync(database, playerId, accepted);
        Assert.Equal(
            (long)GameBackend.Data.Migrations.DatabaseMigrator.Migrations.Count,
            await database.ScalarAsync<long>("select count(*) from schema_migrations"));
        // The maintenance loop, as the app role, made the day partitions through the owner's function.
        var today = GameBackend.Data.History.PositionPartitions.NameFor(DateOnly.FromDateTime(DateTime.UtcNow));
        await Rest.Rest.EventuallyAsync(
            async () => await database.ScalarAsync<long>("select count(*) from pg_tables where tablename = @t", ("t", today)) == 1,
            "today's position partition");
        await Rest.Rest.EventuallyAsync(async () =>
        {
            using var again = await server.Http.GetAsync("/health/ready");
            return (await again.ReadJsonAsync())["status"]!.GetValue<string>() == "Healthy";
        }, "readiness healthy once PostgreSQL is back");
        var loggedIn = await server.Http.PostAsJsonAsync("/api/players/login", new { deviceId = "outage-device" });
        Assert.Equal(HttpStatusCode.OK, loggedIn.StatusCode);
    }
}
