using System.Net;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Tests.Rest;

/// <summary>A server without PostgreSQL still starts; its REST areas say clearly why they are unavailable.</summary>
public sealed class WithoutPostgresTests
{
    [Fact]
    public async Task Rest_endpoints_answer_503_with_a_reason()
    {
        await using var server = await TestServer.StartAsync();
        var sponsorId = Guid.NewGuid();

        var admin = await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "A" }, Rest.Admin(RestFixture.AdminKey)))
            .AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Contains("admin key not configured", admin["title"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        await (await server.Http.SendJsonAsync(HttpMethod.Get, "/api/exclusion-zones")).AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        await (await server.Http.SendJsonAsync(HttpMethod.Get, "/api/operator/active-players")).AssertProblemAsync(HttpStatusCode.ServiceUnavailable);

        var zones = await (await server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{sponsorId}/zones", null, Rest.Sponsor("gbk_x")))
            .AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Contains("requires PostgreSQL", zones["title"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);

        var login = await server.LoginAsync();
        await (await server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/collection", null, Rest.Bearer(login.Token)))
            .AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task With_an_admin_key_operator_endpoints_need_postgres_and_openapi_lists_them()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Operators:AdminKey"] = RestFixture.AdminKey });
        await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "A" })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var problem = await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "A" }, Rest.Admin(RestFixture.AdminKey)))
            .AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Contains("requires PostgreSQL", problem["title"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);

        var openApi = await (await server.Http.SendJsonAsync(HttpMethod.Get, "/openapi/v1.json")).ReadJsonAsync();
        var paths = openApi["paths"]!.AsObject();
        foreach (var path in new[]
        {
            "/api/sponsors", "/api/sponsors/{sponsorId}", "/api/sponsors/{sponsorId}/zones", "/api/sponsors/{sponsorId}/zones/{zoneId}",
            "/api/sponsors/{sponsorId}/analytics/visits", "/api/exclusion-zones", "/api/operator/heatmap", "/api/players/me/history",
        })
        {
            Assert.True(paths.ContainsKey(path), $"OpenAPI is missing {path}");
        }

        Assert.Equal("Creates a sponsor account (operator only).", paths["/api/sponsors"]!["post"]!["summary"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_short_admin_key_stops_start_up()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            TestServer.StartAsync(new Dictionary<string, string?> { ["Operators:AdminKey"] = "short" }));
        Assert.Contains("Operators:AdminKey", error.Message);
    }
}
