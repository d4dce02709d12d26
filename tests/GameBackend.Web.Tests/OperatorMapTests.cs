using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using GameBackend.Web.Tests.Infrastructure;

namespace GameBackend.Web.Tests;

/// <summary>The operator live map against the real <c>/hubs/operator</c>; needs PostgreSQL + PostGIS for the zones.</summary>
[Collection(BrowserCollection.Name)]
public sealed class OperatorMapTests(BrowserFixture browser)
{
    private const string AdminKey = "web-tests-operator-key-0123456789";
    private const double CenterLat = 52.5200;
    private const double CenterLng = 13.4050;
    private const double MetersPerDegreeLat = 111_195;
    private static readonly double MetersPerDegreeLng = MetersPerDegreeLat * Math.Cos(CenterLat * Math.PI / 180);

    [Fact]
    public async Task Operator_map_shows_zones_and_two_moving_players_and_rejects_a_wrong_key()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
        });

        var sponsor = await SendAsync(server, HttpMethod.Post, "/api/sponsors", new { name = "Operator Map Café" }, ("X-Admin-Key", AdminKey));
        var sponsorId = sponsor.GetProperty("sponsorId").GetString()!;
        var apiKey = sponsor.GetProperty("apiKey").GetString()!;
        // A square north of the centre and a strip south of it, apart so neither clips the other.
        var sponsorZone = await SendAsync(server, HttpMethod.Post, $"/api/sponsors/{sponsorId}/zones", new
        {
            name = "Café square",
            polygon = Square(52.5206, 52.5214, 13.4040, 13.4060),
            species = new[] { new { speciesId = "emberkit", weight = 1 } },
            spawnsPerHour = 6,
            maxAlive = 2,
        }, ("X-Api-Key", apiKey));
        var exclusion = await SendAsync(server, HttpMethod.Post, "/api/exclusion-zones", new
        {
            name = "School yard",
            polygon = Square(52.5186, 52.5192, 13.4035, 13.4065),
        }, ("X-Admin-Key", AdminKey));
        Assert.False(sponsorZone.GetProperty("clipped").GetBoolean());

        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await page.GotoAsync(new Uri(server.BaseAddress, $"operator.html?lat={CenterLat}&lng={CenterLng}&zoom=17").ToString());
            var status = page.Locator("#status");

            // A wrong key: the hub refuses it with 401 at negotiate and the page says so, the form stays.
            await page.Locator("#admin-key").FillAsync("wrong-operator-key-0000000000000");
            await page.Locator("#signin button[type=submit]").ClickAsync();
            await Expect(status).ToHaveAttributeAsync("data-error", "rejected");
            await Expect(status).ToContainTextAsync("admin key rejected");
            await Expect(page.Locator("#signin")).ToBeVisibleAsync();
            await guarded.ScreenshotAsync("operator-wrong-key");
            // The browser and the SignalR client both log the refused negotiate; nothing else may be logged.
            Assert.All(guarded.ConsoleErrors, e => Assert.Contains("401", e, StringComparison.Ordinal));
            guarded.ConsoleErrors.Clear();

            await page.Locator("#admin-key").FillAsync(AdminKey);
            await page.Locator("#signin button[type=submit]").ClickAsync();
            await Expect(status).ToHaveTextAsync("connected");
            await Expect(page.Locator("#signin")).ToBeHiddenAsync();
            await Expect(page.Locator("#zones")).ToHaveTextAsync("2");
            await Expect(page.Locator("#map path.zone-sponsor")).ToHaveCountAsync(1);
            await Expect(page.Locator("#map path.zone-exclusion")).ToHaveCountAsync(1);
            var zones = await page.EvaluateAsync<JsonElement>("() => window.gameBackendOperator.drawn().zones");
            Assert.Equal(
                [$"exclusion:{exclusion.GetProperty("id").GetString()}:School yard", $"sponsor:{sponsorZone.GetProperty("id").GetString()}:Café square"],
                zones.EnumerateArray().Select(z => $"{z.GetProperty("kind")}:{z.GetProperty("id")}:{z.GetProperty("name")}").Order(StringComparer.Ordinal));

            // Recording starts with the first operator, so both players move only now: one walks north, one east.
            await using var north = await server.ConnectPlayerAsync(WireProtocol.Json);
            await using var east = await server.ConnectPlayerAsync(WireProtocol.MessagePack);
            for (var step = 0; step < 4; step++)
            {
                if (step > 0)
                {
                    // 30 m per 2 s of game time: 15 m/s, well inside the speed check.
                    server.Time.Advance(TimeSpan.FromSeconds(2));
                }

                var now = server.Time.GetUtcNow().ToUnixTimeMilliseconds();
                var a = (Lat: CenterLat - 0.0006 + (step * 30 / MetersPerDegreeLat), Lng: CenterLng - 0.0015);
                var b = (Lat: CenterLat, Lng: CenterLng + (step * 30 / MetersPerDegreeLng));
                Assert.True((await north.MoveToAsync(a.Lat, a.Lng, now)).Accepted);
                Assert.True((await east.MoveToAsync(b.Lat, b.Lng, now)).Accepted);

                await page.WaitForFunctionAsync(
                    """
                    ([ids, expected]) => {
                      const drawn = window.gameBackendOperator.drawn().players;
                      return Object.keys(drawn).length === 2 && ids.every((id, i) =>
                        drawn[id] && Math.abs(drawn[id].lat - expected[i][0]) < 1e-7 && Math.abs(drawn[id].lng - expected[i][1]) < 1e-7);
                    }
                    """,
                    new object[] { new[] { north.PlayerId, east.PlayerId }, new[] { new[] { a.Lat, a.Lng }, new[] { b.Lat, b.Lng } } });
            }

            await Expect(page.Locator("#map path.player-dot")).ToHaveCountAsync(2);
            await Expect(page.Locator("#players")).ToHaveTextAsync("2");
            await Expect(page.Locator("#nodes li")).ToHaveCountAsync(1);
            await Expect(page.Locator("#nodes li")).ToContainTextAsync("2 players");
            // The dots are drawn where the map puts those coordinates (the SVG, not just the layer state).
            var offsets = await page.EvaluateAsync<double[]>(
                """
                () => {
                  const op = window.gameBackendOperator;
                  const box = document.querySelector('#map').getBoundingClientRect();
                  return [...document.querySelectorAll('#map path.player-dot')].map((path) => {
                    const r = path.getBoundingClientRect();
                    const x = r.left + r.width / 2 - box.left, y = r.top + r.height / 2 - box.top;
                    return Math.min(...Object.values(op.drawn().players).map((p) => {
                      const pt = op.map.latLngToContainerPoint([p.lat, p.lng]);
                      return Math.hypot(pt.x - x, pt.y - y);
                    }));
                  });
                }
                """);
            Assert.Equal(2, offsets.Length);
            Assert.All(offsets, d => Assert.InRange(d, 0, 2));

            await guarded.ScreenshotAsync("operator-live-map");
            Assert.Empty(guarded.Blocked);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    [Fact]
    public async Task A_sponsor_zone_named_with_markup_is_shown_as_text_and_runs_nothing_in_the_operators_browser()
    {
        const string Payload = "<img src=x onerror=\"window.__pwned=1\">Café<script>window.__pwned=2</script>";
        await using var database = await TestDatabase.CreateAsync();
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
        });
        var sponsor = await SendAsync(server, HttpMethod.Post, "/api/sponsors", new { name = "Hostile sponsor" }, ("X-Admin-Key", AdminKey));
        await SendAsync(server, HttpMethod.Post, $"/api/sponsors/{sponsor.GetProperty("sponsorId").GetString()}/zones", new
        {
            name = Payload,
            polygon = Square(52.5196, 52.5204, 13.4040, 13.4060),
            species = new[] { new { speciesId = "emberkit", weight = 1 } },
            spawnsPerHour = 6,
            maxAlive = 2,
        }, ("X-Api-Key", sponsor.GetProperty("apiKey").GetString()!));

        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            // The reflected variant too: a link that sets tiles and an HTML attribution must change nothing.
            var hostileLink = "operator.html?lat=52.52&lng=13.405&zoom=17&tiles=" + Uri.EscapeDataString("http://evil.example/{z}/{x}/{y}.png")
                + "&attribution=" + Uri.EscapeDataString("<img src=x onerror=\"window.__pwned=3\">");
            var response = await page.GotoAsync(new Uri(server.BaseAddress, hostileLink).ToString());
            Assert.Contains("script-src 'self'", response!.Headers["content-security-policy"], StringComparison.Ordinal);

            await page.Locator("#admin-key").FillAsync(AdminKey);
            await page.Locator("#signin button[type=submit]").ClickAsync();
            await Expect(page.Locator("#status")).ToHaveTextAsync("connected");
            await Expect(page.Locator("#map path.zone-sponsor")).ToHaveCountAsync(1);

            // What the operator sees on hovering the zone: the name, character for character, as text.
            await page.Locator("#map path.zone-sponsor").HoverAsync();
            var tooltip = page.Locator(".leaflet-tooltip");
            await Expect(tooltip).ToHaveTextAsync("sponsor: " + Payload);
            await Expect(tooltip.Locator("img, script")).ToHaveCountAsync(0);
            await Expect(page.Locator(".leaflet-tile, .leaflet-control-attribution img")).ToHaveCountAsync(0);
            Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__pwned"));

            // The key went to the server once; the browser keeps only an HttpOnly session cookie.
            var stored = await page.EvaluateAsync<string>("() => JSON.stringify([{ ...sessionStorage }, { ...localStorage }, document.cookie])");
            Assert.DoesNotContain(AdminKey, stored, StringComparison.Ordinal);
            Assert.DoesNotContain("gb_operator", stored, StringComparison.Ordinal);
            var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "gb_operator");
            Assert.True(cookie.HttpOnly);
            Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

            await guarded.ScreenshotAsync("operator-hostile-zone-name");
            Assert.Empty(guarded.Blocked);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    internal static object Square(double south, double north, double west, double east) => new
    {
        type = "Polygon",
        coordinates = new[] { new[] { new[] { west, south }, new[] { east, south }, new[] { east, north }, new[] { west, north }, new[] { west, south } } },
    };

    internal static async Task<JsonElement> SendAsync(TestServer server, HttpMethod method, string path, object body, (string Name, string Value) header)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Add(header.Name, header.Value);
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, string.Create(CultureInfo.InvariantCulture, $"{method} {path}: {(int)response.StatusCode} {text}"));
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
