using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GameBackend.Contracts;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GameBackend.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class IdentityTests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    [Fact]
    public async Task The_same_device_with_its_secret_always_gets_the_same_player_id()
    {
        var device = "device-" + Guid.NewGuid();
        var (_, first) = await GuestLogin.PostAsync(Server, device, null);
        var secret = first.GetProperty("deviceSecret").GetString()!;
        var (_, again) = await GuestLogin.PostAsync(Server, device, secret);
        var other = await Server.LoginAsync();

        Assert.Equal(first.GetProperty("playerId").GetString(), again.GetProperty("playerId").GetString());
        Assert.NotEqual(first.GetProperty("playerId").GetString(), other.PlayerId);
        Assert.StartsWith("g-", first.GetProperty("playerId").GetString());
        Assert.True(first.GetProperty("expiresAt").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal(first.GetProperty("playerId").GetString(), new JsonWebToken(first.GetProperty("token").GetString()).Subject);
        // The secret is handed out once: later logins do not repeat it.
        Assert.Equal(JsonValueKind.Null, again.GetProperty("deviceSecret").ValueKind);
    }

    [Fact]
    public async Task A_known_device_id_without_its_secret_does_not_log_in()
    {
        var device = "victim-phone-" + Guid.NewGuid();
        var (_, victim) = await GuestLogin.PostAsync(Server, device, null);
        var secret = victim.GetProperty("deviceSecret").GetString()!;
        // At least 128 random bits (base64url: 6 bits a character after the prefix).
        Assert.True((secret.Length - "gds_".Length) * 6 >= 128, secret);

        foreach (var attempt in new[] { null, "", "gds_wrong", secret[..^1] })
        {
            var (response, problem) = await GuestLogin.PostAsync(Server, device, attempt);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("deviceSecret", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"deviceId\":\"\"}")]
    [InlineData("{\"deviceId\":\"   \"}")]
    [InlineData("{\"deviceId\":\"ok\",\"displayName\":\"this display name is far too long to be shown to anyone\"}")]
    public async Task Bad_login_requests_get_a_validation_problem(string body)
    {
        var response = await Server.Http.PostAsync("/api/players/login", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Malformed_json_gets_400_not_a_crash()
    {
        var response = await Server.Http.PostAsync("/api/players/login", new StringContent("{\"deviceId\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Health_endpoints_report_live_and_ready()
    {
        Assert.Equal(HttpStatusCode.OK, (await Server.Http.GetAsync("/health/live")).StatusCode);
        var ready = await Server.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var report = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", report.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("checks").GetProperty("orleans-silo").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_are_exposed_for_prometheus_with_updates_by_outcome()
    {
        await using var player = await Server.ConnectPlayerAsync(WireProtocol.Json);
        var now = Server.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.True((await player.MoveToAsync(12, 12, now)).Accepted);
        Assert.False((await player.MoveToAsync(95, 12, now)).Accepted);

        using var cts = new CancellationTokenSource(TestServer.Timeout);
        string text;
        do
        {
            // The exporter caches a scrape briefly; poll until this test's updates are in it.
            text = await Server.Http.GetStringAsync("/metrics", cts.Token);
        }
        while (!text.Contains("outcome=\"latitudeOutOfRange\"", StringComparison.Ordinal) && await Delay(cts.Token));

        Assert.Contains("gamebackend_location_updates", text, StringComparison.Ordinal);
        Assert.Contains("outcome=\"accepted\"", text, StringComparison.Ordinal);
        Assert.Contains("gamebackend_players_connected", text, StringComparison.Ordinal);
    }

    private static async Task<bool> Delay(CancellationToken token)
    {
        await Task.Delay(100, token);
        return true;
    }

    [Fact]
    public async Task The_token_is_also_accepted_as_a_bearer_header()
    {
        var login = await Server.LoginAsync();
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Server.BaseAddress, HubMethods.Path), o => o.Headers["Authorization"] = "Bearer " + login.Token)
            .Build();
        await connection.StartAsync().WaitAsync(TestServer.Timeout);
        var state = await connection.InvokeAsync<PlayerState>(HubMethods.GetState).WaitAsync(TestServer.Timeout);
        Assert.Equal(login.PlayerId, state.PlayerId);
    }
}

/// <summary><c>POST /api/players/login</c> read as raw JSON, for the device secret the contracts do not carry yet.</summary>
internal static class GuestLogin
{
    public static async Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(TestServer server, string deviceId, string? secret)
    {
        var response = await server.Http.PostAsJsonAsync("/api/players/login", new { deviceId, displayName = "Tester", deviceSecret = secret });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response, body);
    }
}

/// <summary>A server configured with guest login off and an external issuer.</summary>
public sealed class ExternalIssuerTests
{
    private const string ExternalKey = "external-identity-provider-shared-secret-0123456789";

    [Fact]
    public async Task Guest_login_can_be_disabled_and_external_tokens_are_accepted()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Identity:GuestLoginEnabled"] = "false",
            ["Identity:External:Issuer"] = "https://id.example.test",
            ["Identity:External:Audience"] = "my-game",
            ["Identity:External:SigningKey"] = ExternalKey,
        });

        var login = await server.Http.PostAsJsonAsync("/api/players/login", new { deviceId = "d1" });
        Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);
        var problem = await login.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("disabled", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);

        var token = ExternalToken("https://id.example.test", "my-game", "user-42", ExternalKey);
        await using var connection = server.BuildConnection(token, WireProtocol.Json);
        await connection.StartAsync().WaitAsync(TestServer.Timeout);
        var state = await connection.InvokeAsync<PlayerState>(HubMethods.GetState).WaitAsync(TestServer.Timeout);
        Assert.Equal("x-user-42", state.PlayerId);

        var wrongAudience = ExternalToken("https://id.example.test", "other-game", "user-42", ExternalKey);
        await using var rejected = server.BuildConnection(wrongAudience, WireProtocol.Json);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => rejected.StartAsync().WaitAsync(TestServer.Timeout));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    private static string ExternalToken(string issuer, string audience, string subject, string key) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = new Dictionary<string, object> { ["sub"] = subject },
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
}
