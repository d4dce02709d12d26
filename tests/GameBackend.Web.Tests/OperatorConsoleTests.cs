using System.Globalization;
using System.Text.Json;
using GameBackend.Web.Tests.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace GameBackend.Web.Tests;

/// <summary>
/// The operator console's moderation half in Chromium against the real server and PostgreSQL:
/// the heatmap layer and its time range, zone approval on the map, the removal queue fed by the
/// public page, bans and the audit log. Screenshots feed docs/web.md.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class OperatorConsoleTests(BrowserFixture browser)
{
    private const string AdminKey = "web-tests-console-key-0123456789";
    private const double CenterLat = 52.5200;
    private const double CenterLng = 13.4050;

    [Fact]
    public async Task The_heatmap_layer_draws_position_samples_for_the_chosen_time_range()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var server = await StartAsync(database);
        // Samples an hour ago around the centre: 30 from three players in one spot, 5 a little east.
        var anHourAgo = DateTimeOffset.UtcNow.AddHours(-1);
        await InsertSamplesAsync(database, anHourAgo, [.. Enumerable.Range(0, 30).Select(i => ($"p{i % 3}", CenterLat + 0.0002, CenterLng)),
            .. Enumerable.Range(0, 5).Select(i => ("p9", CenterLat, CenterLng + 0.002))]);

        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await SignInAsync(page, server, "operator.html?lat=52.5200&lng=13.4050&zoom=16");
            await page.Locator("#heatmap-range").SelectOptionAsync("24");
            await page.Locator("#heatmap-on").CheckAsync();
            var cells = page.Locator("#map path.heat-cell");
            await Expect(cells).ToHaveCountAsync(2);
            await Expect(page.Locator("#heatmap-status")).ToContainTextAsync("2 cells");
            // Drawn where the samples are, visibly: inside the map, with a real size, the busy cell hotter.
            var mapBox = (await page.Locator("#map").BoundingBoxAsync())!;
            foreach (var cell in await cells.AllAsync())
            {
                var box = (await cell.BoundingBoxAsync())!;
                Assert.True(box.Width > 2 && box.Height > 2, $"a heat cell is {box.Width}×{box.Height}");
                PlayerPageTests.AssertInside(mapBox, box, "a heat cell");
            }

            var opacities = await cells.EvaluateAllAsync<double[]>("cs => cs.map(c => Number(c.getAttribute('fill-opacity')))");
            Assert.Equal(0.75, opacities.Max(), 2);
            Assert.True(opacities.Min() < 0.6);
            await guarded.ScreenshotAsync("operator-heatmap");

            // A custom range that ends before the samples: the layer empties.
            await page.Locator("#heatmap-range").SelectOptionAsync("custom");
            await page.Locator("#heatmap-from").FillAsync(Local(anHourAgo.AddHours(-5)));
            await page.Locator("#heatmap-to").FillAsync(Local(anHourAgo.AddHours(-2)));
            await page.Locator("#heatmap-draw").ClickAsync();
            await Expect(page.Locator("#heatmap-status")).ToContainTextAsync("0 cells");
            await Expect(cells).ToHaveCountAsync(0);
            Assert.Empty(guarded.Blocked);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    [Fact]
    public async Task The_operator_approves_a_pending_zone_on_the_map_and_the_audit_log_shows_who_did_what()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var server = await StartAsync(database);
        var sponsor = await OperatorMapTests.SendAsync(server, HttpMethod.Post, "/api/sponsors", new { name = "Pending Bakery" }, ("X-Admin-Key", AdminKey));
        var sponsorId = sponsor.GetProperty("sponsorId").GetString()!;
        var zone = await OperatorMapTests.SendAsync(server, HttpMethod.Post, $"/api/sponsors/{sponsorId}/zones", new
        {
            // A name with markup: shown as text in the queue, the tooltip and the audit detail.
            name = "<b>Fresh</b> rolls",
            polygon = OperatorMapTests.Square(52.5206, 52.5214, 13.4040, 13.4060),
            species = new[] { new { speciesId = "emberkit", weight = 1 } },
            spawnsPerHour = 6,
            maxAlive = 2,
        }, ("X-Api-Key", sponsor.GetProperty("apiKey").GetString()!));
        var zoneId = zone.GetProperty("id").GetString()!;

        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await SignInAsync(page, server, "operator.html?lat=52.5200&lng=13.4050&zoom=16");
            // Waiting zones are drawn on the map (not yet as live sponsor zones) and queued.
            await Expect(page.Locator("#map path.zone-pending")).ToHaveCountAsync(1);
            await Expect(page.Locator("#map path.zone-sponsor")).ToHaveCountAsync(0);
            var row = page.Locator($"#review-zones li[data-zone-id='{zoneId}']");
            await Expect(row.Locator(".label")).ToHaveTextAsync("<b>Fresh</b> rolls — Pending Bakery");
            await Expect(page.Locator("#review-zones b")).ToHaveCountAsync(0);
            await guarded.ScreenshotAsync("operator-zone-approval");

            await row.Locator("button.reject").ClickAsync();
            await Expect(row.Locator(".status.bad")).ToContainTextAsync("A rejection needs a reason");
            await row.Locator("input.reason").FillAsync("checked the storefront");
            await row.Locator("button.approve").ClickAsync();
            await Expect(page.Locator("#review-zones li")).ToHaveTextAsync(["Nothing waits for approval."]);
            await Expect(page.Locator("#map path.zone-pending")).ToHaveCountAsync(0);
            await Expect(page.Locator("#map path.zone-sponsor")).ToHaveCountAsync(1);

            // The audit log: newest first, filterable by action.
            var audit = page.Locator("#audit li");
            await Expect(audit.First).ToHaveAttributeAsync("data-action", "zone.approved");
            await Expect(audit.First).ToContainTextAsync("operator:admin");
            await Expect(page.Locator("#operator-name")).ToHaveTextAsync("signed in as admin");
            await Expect(audit.First).ToContainTextAsync("checked the storefront");
            await page.Locator("#audit-action").SelectOptionAsync("zone.created");
            await page.Locator("#audit-filter").ClickAsync();
            await Expect(audit).ToHaveCountAsync(1);
            await Expect(audit.First).ToContainTextAsync($"sponsor:{sponsorId}");
            await Expect(audit.First).ToContainTextAsync("<b>Fresh</b> rolls");
            await page.Locator("#audit-action").SelectOptionAsync("");
            await page.Locator("#audit-filter").ClickAsync();
            await Expect(audit).ToHaveCountAsync(3); // sponsor.created, zone.created, zone.approved
            await guarded.ScreenshotAsync("operator-audit-log");
            Assert.Empty(guarded.Blocked);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    [Fact]
    public async Task A_removal_request_from_the_public_page_becomes_an_exclusion_zone_from_the_queue()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var server = await StartAsync(database);

        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await page.GotoAsync(new Uri(server.BaseAddress, "removal.html?lat=52.5200&lng=13.4050").ToString());
            await page.Locator("#radius").FillAsync("40");
            var box = (await page.Locator("#map").BoundingBoxAsync())!;
            await page.Mouse.ClickAsync(box.X + (box.Width / 2), box.Y + (box.Height / 2));
            await Expect(page.Locator("#shape-info")).ToContainTextAsync("40 m");
            await page.Locator("#reason").FillAsync("Our factory floor: people operate machines here.");
            await page.Locator("#contact").FillAsync("safety@factory.example");
            await page.Locator("#request button[type=submit]").ClickAsync();
            await Expect(page.Locator("#result")).ToContainTextAsync("is waiting for an operator");
            await guarded.ScreenshotAsync("removal-request-page");
            Assert.Empty(guarded.ConsoleErrors);
        });

        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await SignInAsync(page, server, "operator.html?lat=52.5200&lng=13.4050&zoom=17");
            var row = page.Locator("#removals li[data-request-id]");
            await Expect(row.Locator(".label")).ToHaveTextAsync("Our factory floor: people operate machines here.");
            await Expect(row).ToContainTextAsync("safety@factory.example");
            await Expect(page.Locator("#map path.removal-request")).ToHaveCountAsync(1);
            await guarded.ScreenshotAsync("operator-removal-queue");
            await row.Locator("button.accept").ClickAsync();
            await Expect(page.Locator("#removals li")).ToHaveTextAsync(["No open requests."]);
            await Expect(page.Locator("#map path.zone-exclusion")).ToHaveCountAsync(1);
            // Both rows of the one transaction: the request decided and the exclusion zone it created.
            await Expect(page.Locator("#audit li[data-action='removal.accepted']")).ToHaveCountAsync(1);
            await Expect(page.Locator("#audit li[data-action='exclusion.created']")).ToHaveCountAsync(1);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    private static Task<TestServer> StartAsync(TestDatabase database) => TestServer.StartAsync(new Dictionary<string, string?>
    {
        ["ConnectionStrings:Postgres"] = database.ConnectionString,
        ["Operators:AdminKey"] = AdminKey,
        ["Moderation:AutoApproveZones"] = "false",
    });

    private static async Task SignInAsync(IPage page, TestServer server, string path)
    {
        await page.GotoAsync(new Uri(server.BaseAddress, path).ToString());
        await page.Locator("#admin-key").FillAsync(AdminKey);
        await page.Locator("#signin button[type=submit]").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("connected");
        await Expect(page.Locator("#moderation")).ToBeVisibleAsync();
    }

    /// <summary>The browser's datetime-local value for an instant (the page runs in the machine's zone, as this process).</summary>
    private static string Local(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    private static async Task InsertSamplesAsync(TestDatabase database, DateTimeOffset at, IReadOnlyList<(string Player, double Lat, double Lng)> samples)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync().WaitAsync(TestServer.Timeout);
        var seq = 0;
        foreach (var (player, lat, lng) in samples)
        {
            await using var cmd = new NpgsqlCommand("""
                insert into position_samples (player_id, seq, server_time, device_time, geog, cell_id)
                values (@player, @seq, @at, @at, ST_SetSRID(ST_MakePoint(@lng, @lat), 4326)::geography, 'test')
                """, connection);
            cmd.Parameters.AddWithValue("player", player);
            cmd.Parameters.AddWithValue("seq", (long)seq++);
            cmd.Parameters.AddWithValue("at", at.AddSeconds(seq));
            cmd.Parameters.AddWithValue("lng", lng);
            cmd.Parameters.AddWithValue("lat", lat);
            await cmd.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout);
        }
    }
}
