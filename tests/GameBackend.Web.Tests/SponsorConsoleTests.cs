using System.Net.Http.Json;
using System.Text.Json;
using GameBackend.Web.Tests.Infrastructure;

namespace GameBackend.Web.Tests;

/// <summary>Needs PostgreSQL + PostGIS (GAMEBACKEND_POSTGRES, default the scripts/services.sh instance); each test gets its own database.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SponsorConsoleTests(BrowserFixture browser)
{
    private const string AdminKey = "web-tests-admin-key-0123456789";

    [Fact]
    public async Task Sponsor_draws_a_circle_zone_and_it_is_stored_and_shown()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
        });
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/sponsors") { Content = JsonContent.Create(new { name = "Web Test Bakery" }) };
        create.Headers.Add("X-Admin-Key", AdminKey);
        using var created = await server.Http.SendAsync(create);
        created.EnsureSuccessStatusCode();
        var sponsor = await created.Content.ReadFromJsonAsync<JsonElement>();
        var sponsorId = sponsor.GetProperty("sponsorId").GetString()!;
        var apiKey = sponsor.GetProperty("apiKey").GetString()!;

        await using var guarded = await browser.NewPageAsync();
        var page = guarded.Page;
        await page.GotoAsync(new Uri(server.BaseAddress, "sponsor.html?lat=52.5296&lng=13.4014").ToString());
        await page.Locator("#sponsor-id").FillAsync(sponsorId);
        await page.Locator("#api-key").FillAsync(apiKey);
        await page.Locator("#signin button[type=submit]").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("signed in as Web Test Bakery");
        await Expect(page.Locator("#zones li")).ToHaveTextAsync(["No zones yet: draw one below."]);

        await page.Locator("#zone-name").FillAsync("Corner café");
        await page.Locator("#radius").FillAsync("80");
        // The map centre is the query's lat/lng; a click there places the circle's centre.
        var box = (await page.Locator("#map").BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + (box.Width / 2), box.Y + (box.Height / 2));
        await Expect(page.Locator("#shape-info")).ToContainTextAsync("circle at 52.529");
        await page.Locator("#w-emberkit").FillAsync("3");
        await page.Locator("#w-glasswing").FillAsync("1");
        await page.Locator("#spawns").FillAsync("24");
        await page.Locator("#max-alive").FillAsync("4");
        await page.Locator("#schedule-tz").FillAsync("Europe/Berlin");
        await page.Locator("#schedule").FillAsync("monday 08:00-11:00\nsaturday 10:00-24:00");
        await page.Locator("#save").ClickAsync();

        await Expect(page.Locator("#editor-status")).ToHaveTextAsync("saved “Corner café”");
        var row = page.Locator("#zones li", new PageLocatorOptions { HasText = "Corner café" });
        await Expect(row).ToContainTextAsync("circle · 24/h · max 4");
        await Expect(page.Locator("#map path.leaflet-interactive")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#analytics")).ToBeVisibleAsync();
        // A new zone has no visits yet; the three analytics calls answered and the charts say so.
        await Expect(page.Locator("#dwell")).ToHaveTextAsync("Dwell time: withheld (too few players)");
        await Expect(page.Locator("#chart-visits")).ToContainTextAsync("no data yet");
        await Expect(page.Locator("#chart-captures")).ToContainTextAsync("no data yet");

        using var list = new HttpRequestMessage(HttpMethod.Get, $"/api/sponsors/{sponsorId}/zones");
        list.Headers.Add("X-Api-Key", apiKey);
        using var listed = await server.Http.SendAsync(list);
        listed.EnsureSuccessStatusCode();
        var zone = Assert.Single((await listed.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        Assert.Equal("Corner café", zone.GetProperty("name").GetString());
        var circle = zone.GetProperty("circle");
        Assert.Equal(52.5296, circle.GetProperty("latitude").GetDouble(), 3);
        Assert.Equal(13.4014, circle.GetProperty("longitude").GetDouble(), 3);
        Assert.Equal(80, circle.GetProperty("radiusMeters").GetDouble());
        Assert.Equal(2, zone.GetProperty("species").GetArrayLength());
        Assert.Equal(2, zone.GetProperty("schedule").GetProperty("windows").GetArrayLength());

        await guarded.ScreenshotAsync("sponsor-zone");

        await page.Locator("#delete").ClickAsync();
        await Expect(page.Locator("#editor-status")).ToHaveTextAsync("zone deleted");
        await Expect(page.Locator("#zones li")).ToHaveTextAsync(["No zones yet: draw one below."]);

        // Replacing the key: the console shows the new one once and keeps working with it; the old one is dead.
        await page.Locator("#rotate-key").ClickAsync();
        await Expect(page.Locator("#key-status")).ToContainTextAsync("new API key");
        var newKey = await page.Locator("#key-status").GetAttributeAsync("data-api-key");
        Assert.StartsWith("gbk_", newKey);
        Assert.NotEqual(apiKey, newKey);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await SponsorStatusAsync(server, sponsorId, apiKey));
        Assert.Equal(System.Net.HttpStatusCode.OK, await SponsorStatusAsync(server, sponsorId, newKey!));
        await page.Locator("#new-zone").ClickAsync();
        await page.Locator("#zone-name").FillAsync("After rotation");
        await page.Mouse.ClickAsync(box.X + (box.Width / 2), box.Y + (box.Height / 2));
        await page.Locator("#w-emberkit").FillAsync("1");
        await page.Locator("#save").ClickAsync();
        await Expect(page.Locator("#editor-status")).ToHaveTextAsync("saved “After rotation”");
        Assert.Empty(guarded.Blocked);
        Assert.Empty(guarded.ConsoleErrors);
    }

    private static async Task<System.Net.HttpStatusCode> SponsorStatusAsync(TestServer server, string sponsorId, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/sponsors/{sponsorId}");
        request.Headers.Add("X-Api-Key", key);
        using var response = await server.Http.SendAsync(request);
        return response.StatusCode;
    }
}
