using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GameBackend.Server.Operators;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests.Rest;

/// <summary>Finding 2 of the security issue, the server side: browser hardening headers, tile settings, operator sessions.</summary>
public sealed class WebSecurityTests
{
    private const string AdminKey = "web-security-operator-key-0123456789";

    [Fact]
    public async Task Every_response_carries_the_content_security_policy_and_friends()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var path in new[] { "/config.json", "/api/species", "/api/players/me/collection", "/openapi/v1.json", "/no-such-page" })
        {
            using var response = await server.Http.GetAsync(path);
            AssertHardened(response);
        }
    }

    internal static void AssertHardened(HttpResponseMessage response)
    {

        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline'; script", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
    }

    [Fact]
    public async Task Tile_settings_come_from_server_configuration_and_widen_only_img_src()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Web:TileUrl"] = "https://tiles.example.org/{z}/{x}/{y}.png",
            ["Web:TileAttribution"] = "© Example <contributors>",
        });
        using var response = await server.Http.GetAsync("/config.json?tiles=http://evil.example/{z}/{x}/{y}.png");
        var config = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://tiles.example.org/{z}/{x}/{y}.png", config.GetProperty("tileUrl").GetString());
        Assert.Equal("© Example <contributors>", config.GetProperty("tileAttribution").GetString());
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("img-src 'self' data: https://tiles.example.org;", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("evil", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tile_url_that_is_not_an_http_template_is_refused_at_start()
    {
        await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestServer.StartAsync(
            new Dictionary<string, string?> { ["Web:TileUrl"] = "javascript:alert(1)//{z}" }));
    }

    [Fact]
    public async Task The_operator_signs_in_for_a_short_httponly_strict_cookie_that_opens_the_operator_hub()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Operators:AdminKey"] = AdminKey,
            ["Operators:SessionLifetime"] = "00:10:00",
        });
        var handler = new HttpClientHandler { UseCookies = false };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TestServer.Timeout };

        using var wrong = await http.PostAsJsonAsync("/api/operator/session", new { adminKey = "wrong-operator-key-00000000000000" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        using var ok = await http.PostAsJsonAsync("/api/operator/session", new OperatorSignIn { AdminKey = AdminKey });
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        var setCookie = Assert.Single(ok.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(OperatorSessions.CookieName + "=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=600", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = setCookie.Split(';')[0];

        using var status = new HttpRequestMessage(HttpMethod.Get, "/api/operator/session");
        status.Headers.Add("Cookie", cookie);
        var signedIn = await (await http.SendAsync(status)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(signedIn.GetProperty("signedIn").GetBoolean());

        await using var withCookie = server.OperatorConnection(cookie);
        await withCookie.StartAsync().WaitAsync(TestServer.Timeout);
        var zones = await withCookie.InvokeAsync<JsonElement>("GetZones").WaitAsync(TestServer.Timeout);
        Assert.Equal(JsonValueKind.Array, zones.ValueKind);

        // A player's token is no operator session, and neither is a tampered cookie.
        var player = await server.LoginAsync();
        foreach (var forged in new[] { $"{OperatorSessions.CookieName}={player.Token}", cookie[..^4] + "AAAA" })
        {
            await using var refused = server.OperatorConnection(forged);
            var ex = await Assert.ThrowsAsync<HttpRequestException>(() => refused.StartAsync().WaitAsync(TestServer.Timeout));
            Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        }
    }
}
