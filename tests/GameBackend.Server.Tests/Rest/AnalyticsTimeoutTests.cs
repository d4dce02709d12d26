using System.Net;
using GameBackend.Data;
using GameBackend.Server.Operators;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace GameBackend.Server.Tests.Rest;

/// <summary>
/// Issue 12, finding 4: every analytics, heatmap, funnel and statement query a sponsor or operator
/// can start runs under <c>Limits:AnalyticsStatementTimeout</c>. The test makes each one outlast the
/// limit deterministically: it holds an ACCESS EXCLUSIVE lock on the history tables in a transaction
/// of its own, so every query waits for the lock until PostgreSQL stops it.
/// </summary>
public sealed class AnalyticsTimeoutTests
{
    private const string AdminKey = "timeout-tests-admin-key-0123456789";

    // Every table an analytics, funnel or statement query reads history from.
    private const string LockHistory =
        "lock table zone_visits, creature_sightings, captures, spawns, position_samples, zone_spend in access exclusive mode";

    private static async Task<(TestServer Server, TestDatabase Database, RecordingLoggerProvider Logs)> StartAsync(string? timeout)
    {
        var database = await TestDatabase.CreateAsync("gb_timeout");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
        };
        if (timeout is not null)
        {
            settings["Limits:AnalyticsStatementTimeout"] = timeout;
        }

        var logs = new RecordingLoggerProvider();
        var server = await TestServer.StartAsync(settings, services => services.AddSingleton<ILoggerProvider>(logs));
        return (server, database, logs);
    }

    /// <summary>Every sponsor and operator query endpoint, over past whole days so none is answered without a query.</summary>
    private static async Task<List<(string Url, (string, string) Header)>> EndpointsAsync(TestServer server)
    {
        var created = await server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "Slow Co" }, Rest.Admin(AdminKey));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.ReadJsonAsync();
        var sponsor = body["sponsorId"]!.GetValue<string>();
        var key = Rest.Sponsor(body["apiKey"]!.GetValue<string>());
        var day = server.Time.GetUtcNow().UtcDateTime.Date;
        var range = $"from={day.AddDays(-3):yyyy-MM-dd}T00:00:00Z&to={day.AddDays(-1):yyyy-MM-dd}T00:00:00Z";
        var admin = Rest.Admin(AdminKey);
        return
        [
            ($"/api/sponsors/{sponsor}/analytics/visits?{range}", key),
            ($"/api/sponsors/{sponsor}/analytics/dwell?{range}", key),
            ($"/api/sponsors/{sponsor}/analytics/captures?{range}", key),
            ($"/api/sponsors/{sponsor}/analytics/conversion?{range}", key),
            ($"/api/sponsors/{sponsor}/analytics/funnel?{range}", key),
            ($"/api/sponsors/{sponsor}/analytics/dwell-histogram?{range}", key),
            ($"/api/sponsors/{sponsor}/statements/{day.AddMonths(-1):yyyy-MM}", key),
            ($"/api/sponsors/{sponsor}/statements/{day.AddMonths(-1):yyyy-MM}?format=csv", key),
            ($"/api/operator/heatmap?minLon=16&minLat=48&maxLon=17&maxLat=49&{range}", admin),
            ($"/api/operator/spawns-captures?{range}", admin),
            ($"/api/operator/active-players?{range}", admin),
        ];
    }

    private static HubConnection Operator(TestServer server) =>
        new HubConnectionBuilder().WithUrl(new Uri(server.BaseAddress, "/hubs/operator?adminKey=" + Uri.EscapeDataString(AdminKey))).Build();

    [Fact]
    public async Task A_query_past_the_statement_timeout_is_a_503_problem_naming_the_limit_on_every_analytics_endpoint_and_the_operator_hub()
    {
        var (server, database, logs) = await StartAsync("00:00:00.300");
        await using var _ = database;
        await using var __ = server;
        var endpoints = await EndpointsAsync(server);
        await using var console = Operator(server);
        await console.StartAsync().WaitAsync(TestServer.Timeout);
        var heatmap = new HeatmapQuery(16, 48, 17, 49, server.Time.GetUtcNow().AddDays(-3).ToString("O"), server.Time.GetUtcNow().AddDays(-1).ToString("O"), 0.01);

        await using (var blocker = new NpgsqlConnection(database.ConnectionString))
        {
            await blocker.OpenAsync().WaitAsync(TestServer.Timeout);
            await using var tx = await blocker.BeginTransactionAsync().AsTask().WaitAsync(TestServer.Timeout);
            await using (var lockTables = new NpgsqlCommand(LockHistory, blocker, tx))
            {
                await lockTables.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout);
            }

            foreach (var (url, header) in endpoints)
            {
                var response = await server.Http.SendJsonAsync(HttpMethod.Get, url, null, header);
                var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
                Assert.Equal("Query took too long", problem["title"]!.GetValue<string>());
                var detail = problem["detail"]!.GetValue<string>();
                Assert.Contains("Limits:AnalyticsStatementTimeout (0.3 s)", detail);
                Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"{url}: Retry-After {response.Headers.RetryAfter}");
            }

            var refused = await Assert.ThrowsAsync<HubException>(() => console.InvokeAsync<System.Text.Json.JsonElement>("GetHeatmap", heatmap).WaitAsync(TestServer.Timeout));
            Assert.Contains("Limits:AnalyticsStatementTimeout (0.3 s)", refused.Message);
            await tx.RollbackAsync().WaitAsync(TestServer.Timeout);
        }

        // Each refusal was a warning naming the limit, none an error; every slot was given back.
        var warnings = logs.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("Limits:AnalyticsStatementTimeout"));
        Assert.Equal(endpoints.Count + 1, warnings);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(4, server.Services.GetRequiredService<Hosting.AnalyticsGate>().Free);

        // With the lock gone the same queries answer under the same tiny limit.
        foreach (var (url, header) in endpoints)
        {
            var response = await server.Http.SendJsonAsync(HttpMethod.Get, url, null, header);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var answered = await console.InvokeAsync<System.Text.Json.JsonElement>("GetHeatmap", heatmap).WaitAsync(TestServer.Timeout);
        Assert.Equal("FeatureCollection", answered.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Under_the_default_timeout_every_analytics_endpoint_answers_and_the_limit_never_leaks_to_other_queries()
    {
        var (server, database, logs) = await StartAsync(timeout: null);
        await using var _ = database;
        await using var __ = server;
        foreach (var (url, header) in await EndpointsAsync(server))
        {
            var response = await server.Http.SendJsonAsync(HttpMethod.Get, url, null, header);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // The analytics queries set the limit per transaction (SET LOCAL): a connection they
        // returned to the pool runs everything else (history ingestion, migrations) without it.
        var dataSource = server.Services.GetRequiredKeyedService<NpgsqlDataSource>(GameDataServiceCollectionExtensions.DataSourceKey);
        await using (var cmd = dataSource.CreateCommand("show statement_timeout"))
        {
            Assert.Equal("0", (string?)await cmd.ExecuteScalarAsync().WaitAsync(TestServer.Timeout));
        }

        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("Limits:AnalyticsStatementTimeout"));
    }
}
