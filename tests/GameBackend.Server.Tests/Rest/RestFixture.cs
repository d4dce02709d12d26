using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GameBackend.Server.Spawning;
using GameBackend.Server.Tests.Infrastructure;
using NetTopologySuite.Geometries;
using Npgsql;

namespace GameBackend.Server.Tests.Rest;

/// <summary>
/// A fresh PostgreSQL database per test class (<c>gb_rest_&lt;guid&gt;</c>, schema created by the
/// server's migrator at start-up, dropped at the end) and a real server on it.
/// </summary>
public sealed class RestFixture : IAsyncLifetime
{
    public const string AdminKey = "rest-tests-admin-key-0123456789";

    public const string DefaultConnectionString =
        "Host=127.0.0.1;Port=54329;Username=gamebackend;Password=gamebackend;Database=gamebackend";

    private static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES") is { Length: > 0 } value ? value : DefaultConnectionString;

    public string DatabaseName { get; } = "gb_rest_" + Guid.NewGuid().ToString("N");

    public string ConnectionString { get; private set; } = "";

    public RecordingWorldChanges World { get; } = new();

    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync().WaitAsync(TestServer.Timeout);
            // Identifiers cannot be parameters; the name is generated here from a GUID.
            await using var cmd = new NpgsqlCommand($"create database \"{DatabaseName}\"", admin);
            await cmd.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout);
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = DatabaseName }.ConnectionString;
        Server = await StartServerAsync();
    }

    /// <summary>Another server on the same database (e.g. to prove state survives a restart).</summary>
    public Task<TestServer> StartServerAsync() => TestServer.StartAsync(
        new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
            ["History:FlushInterval"] = "00:00:00.050",
        },
        services => services.AddSingleton<IWorldChanges>(World));

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync().WaitAsync(TestServer.Timeout);
        await using var cmd = new NpgsqlCommand($"drop database if exists \"{DatabaseName}\" with (force)", admin);
        await cmd.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout);
    }

    /// <summary>Runs parameterised SQL against this class's database (test seeding).</summary>
    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync().WaitAsync(TestServer.Timeout);
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        await cmd.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout);
    }

    /// <summary>Creates a sponsor through the operator API; returns its id and API key.</summary>
    public async Task<(Guid Id, string ApiKey)> CreateSponsorAsync(TestServer? server = null, string name = "Coffee Co")
    {
        var response = await (server ?? Server).Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name }, Rest.Admin(AdminKey));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJsonAsync();
        return (Guid.Parse(body["sponsorId"]!.GetValue<string>()), body["apiKey"]!.GetValue<string>());
    }
}

/// <summary>An <see cref="IWorldChanges"/> that records what the REST side told it.</summary>
public sealed class RecordingWorldChanges : IWorldChanges
{
    public ConcurrentQueue<string> Events { get; } = new();

    public ConcurrentDictionary<Guid, Geometry> CreatedExclusions { get; } = new();

    public Task SponsorZonesChangedAsync(CancellationToken cancellationToken = default)
    {
        Events.Enqueue("zones");
        return Task.CompletedTask;
    }

    public Task ExclusionZoneCreatedAsync(Guid exclusionZoneId, Geometry area, CancellationToken cancellationToken = default)
    {
        CreatedExclusions[exclusionZoneId] = area;
        Events.Enqueue("exclusion-created:" + exclusionZoneId);
        return Task.CompletedTask;
    }

    public Task ExclusionZoneDeletedAsync(Guid exclusionZoneId, CancellationToken cancellationToken = default)
    {
        Events.Enqueue("exclusion-deleted:" + exclusionZoneId);
        return Task.CompletedTask;
    }
}

/// <summary>Request helpers; the HttpClient's own timeout bounds every call.</summary>
public static class Rest
{
    public static (string Name, string Value) Admin(string key) => ("X-Admin-Key", key);

    public static (string Name, string Value) Sponsor(string key) => ("X-Api-Key", key);

    public static (string Name, string Value) Bearer(string token) => ("Authorization", "Bearer " + token);

    public static async Task<HttpResponseMessage> SendJsonAsync(
        this HttpClient http, HttpMethod method, string url, object? body = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = body is string raw
                ? new StringContent(raw, new MediaTypeHeaderValue("application/json"))
                : JsonContent.Create(body);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await http.SendAsync(request).WaitAsync(TestServer.Timeout);
    }

    public static async Task<JsonNode> ReadJsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync().WaitAsync(TestServer.Timeout))!;

    /// <summary>Asserts a problem-details answer with the status, and returns it.</summary>
    public static async Task<JsonNode> AssertProblemAsync(this HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync().WaitAsync(TestServer.Timeout);
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        return problem;
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing after <see cref="TestServer.Timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestServer.Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }
}
