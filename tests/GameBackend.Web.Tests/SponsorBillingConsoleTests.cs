using System.Net.Http.Json;
using System.Text.Json;
using GameBackend.Web.Tests.Infrastructure;
using Npgsql;

namespace GameBackend.Web.Tests;

/// <summary>
/// The sponsor console's billing and funnel views, as a person sees them in Chromium: budget left
/// per zone, the funnel chart drawn with bars, the dwell distribution, a table as CSV, and a zone
/// pausing when its budget is lowered below what it spent. History is seeded in PostgreSQL and
/// billed by the real <c>bill_zone_visits</c>.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SponsorBillingConsoleTests(BrowserFixture browser)
{
    private const string AdminKey = "web-billing-admin-key-0123456789";

    [Fact]
    public async Task The_console_shows_budget_left_the_funnel_chart_and_dwell_and_downloads_tables_as_CSV()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
        });
        var (sponsorId, apiKey) = await CreateSponsorAsync(server);
        var zoneId = await SendAsync<JsonElement>(server, HttpMethod.Post, $"/api/sponsors/{sponsorId}/zones", apiKey, new
        {
            name = "Rosenthaler Café",
            circle = new { latitude = 52.5296, longitude = 13.4014, radiusMeters = 80 },
            species = new[] { new { speciesId = "emberkit", weight = 1 } },
            spawnsPerHour = 12,
            maxAlive = 3,
        });
        var zone = Guid.Parse(zoneId.GetProperty("id").GetString()!);
        await SendAsync<JsonElement>(server, HttpMethod.Put, $"/api/sponsors/{sponsorId}/zones/{zone}/budget", apiKey,
            new { pricePerVisit = 0.50m, dailyBudget = 20.00m, totalBudget = 100.00m, minDwellSeconds = 60 });

        // Two past days, each: 8 players shown a creature, 6 visit for 5 minutes, 5 capture.
        var now = server.Time.GetUtcNow();
        var days = new[] { now.AddDays(-2), now.AddDays(-1) };
        await SeedAsync(database.ConnectionString, zone, days);

        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await page.GotoAsync(new Uri(server.BaseAddress, "sponsor.html?lat=52.5296&lng=13.4014").ToString());
            await page.Locator("#sponsor-id").FillAsync(sponsorId);
            await page.Locator("#api-key").FillAsync(apiKey);
            await page.Locator("#signin button[type=submit]").ClickAsync();

            // 12 charged visits at 0.50 = 6.00 of the total 100.00; nothing today.
            var row = page.Locator("#budgets tbody tr", new() { HasText = "Rosenthaler Café" });
            await Expect(row.Locator("td")).ToHaveTextAsync(["Rosenthaler Café", "active", "0.50", "0.00", "20.00", "94.00"]);
            await Expect(page.Locator("#zones li", new() { HasText = "Rosenthaler Café" }).Locator(".zone-status")).ToHaveTextAsync("active");
            await guarded.ScreenshotAsync("sponsor-budgets");

            await page.Locator("#zones li", new() { HasText = "Rosenthaler Café" }).GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
            var funnelRows = page.Locator("#funnel tbody tr");
            await Expect(funnelRows).ToHaveCountAsync(2);
            await Expect(funnelRows.Nth(0).Locator("td")).ToHaveTextAsync([days[0].ToString("yyyy-MM-dd"), "8", "6", "6", "5"]);

            // The chart is on screen and its bars have height, the visited bar 6/8 of the shown one.
            var chart = page.Locator("#chart-funnel");
            await chart.ScrollIntoViewIfNeededAsync();
            await Expect(chart).ToBeVisibleAsync();
            var chartBox = (await chart.BoundingBoxAsync())!;
            Assert.True(chartBox.Width > 200 && chartBox.Height > 100, $"chart box {chartBox.Width}×{chartBox.Height}");
            await Expect(page.Locator("#chart-funnel rect.bar")).ToHaveCountAsync(6);
            foreach (var series in (string[])["shown", "visited", "captured"])
            {
                var bar = (await page.Locator($"#chart-funnel rect.funnel-{series}").First.BoundingBoxAsync())!;
                Assert.True(bar.Height > 5, $"{series} bar is {bar.Height}px high");
                Assert.True(bar.Y >= chartBox.Y - 0.5 && bar.Y + bar.Height <= chartBox.Y + chartBox.Height + 0.5, $"{series} bar outside the chart");
            }

            var shown = (await page.Locator("#chart-funnel rect.funnel-shown").First.BoundingBoxAsync())!.Height;
            var visited = (await page.Locator("#chart-funnel rect.funnel-visited").First.BoundingBoxAsync())!.Height;
            Assert.Equal(6.0 / 8, visited / shown, 2);
            await Expect(chart).ToContainTextAsync("shown");

            // Dwell distribution: all twelve visits (twelve players) lasted 5 minutes.
            await Expect(page.Locator("#dwell-table tbody tr", new() { HasText = "5–15 min" }).Locator("td")).ToHaveTextAsync(["5–15 min", "12", "12"]);

            // Any table downloads as CSV.
            var download = await page.RunAndWaitForDownloadAsync(() =>
                page.Locator("button.csv[data-table=funnel]").ClickAsync());
            Assert.Equal("funnel.csv", download.SuggestedFilename);
            var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
            Assert.StartsWith("Day,Shown,Visited,Stayed,Captured\r\n" + days[0].ToString("yyyy-MM-dd") + ",8,6,6,5\r\n", csv);

            await guarded.ScreenshotAsync("sponsor-billing");

            // Lowering the total budget under what was spent pauses the zone; the console says so.
            await page.Locator("#total-budget").FillAsync("6");
            await page.Locator("#save-budget").ClickAsync();
            await Expect(page.Locator("#budget-status")).ToHaveTextAsync("budget saved: paused: budget");
            await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("paused: budget");
            await Expect(row.Locator("td").Nth(5)).ToHaveTextAsync("0.00");
            await Expect(page.Locator("#zones li", new() { HasText = "Rosenthaler Café" }).Locator(".zone-status")).ToHaveTextAsync("paused: budget");

            await Expect(page.Locator("#statement-total")).ToContainTextAsync(" charged, total ");
            Assert.Empty(guarded.Blocked);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    private static async Task SeedAsync(string connectionString, Guid zone, DateTimeOffset[] days)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync().WaitAsync(TestServer.Timeout);
        foreach (var day in days)
        {
            var noon = new DateTimeOffset(day.UtcDateTime.Date.AddHours(12), TimeSpan.Zero);
            for (var p = 0; p < 8; p++)
            {
                var player = $"web-{noon:MMdd}-{p}";
                await ExecuteAsync(connection, "insert into creature_sightings (zone_id, player_id, first_seen_at) values (@z, @p, @t)",
                    ("z", zone), ("p", player), ("t", noon.AddMinutes(p)));
                if (p < 6)
                {
                    await ExecuteAsync(connection, """
                        insert into zone_visits (zone_id, player_id, entered_at, last_seen_at, exited_at) values (@z, @p, @t, @e, @e)
                        """, ("z", zone), ("p", player), ("t", noon.AddMinutes(10 + p)), ("e", noon.AddMinutes(15 + p)));
                }

                if (p < 5)
                {
                    var creature = $"web-creature-{noon:MMdd}-{p}";
                    await ExecuteAsync(connection, """
                        insert into spawns (creature_id, species, rarity, geog, spawned_at, expires_at, cell_id, sponsor_zone_id)
                        values (@c, 'emberkit', 'common', ST_GeogFromText('POINT(13.4014 52.5296)'), @t, @t, 'cell', @z)
                        """, ("c", creature), ("t", noon.AddMinutes(20)), ("z", zone));
                    await ExecuteAsync(connection, """
                        insert into captures (creature_id, player_id, species, rarity, geog, captured_at, attempts, losers)
                        values (@c, @p, 'emberkit', 'common', ST_GeogFromText('POINT(13.4014 52.5296)'), @t, 1, 0)
                        """, ("c", creature), ("p", player), ("t", noon.AddMinutes(21 + p)));
                }
            }
        }

        // The history writer's own billing step, over the seeded visits.
        await ExecuteAsync(connection, """
            select count(*) from bill_zone_visits(
                (select array_agg(zone_id) from zone_visits), (select array_agg(player_id) from zone_visits), (select array_agg(entered_at) from zone_visits))
            """);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        await cmd.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout);
    }

    private static async Task<(string Id, string ApiKey)> CreateSponsorAsync(TestServer server)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/sponsors") { Content = JsonContent.Create(new { name = "Billing Café" }) };
        create.Headers.Add("X-Admin-Key", AdminKey);
        using var created = await server.Http.SendAsync(create);
        created.EnsureSuccessStatusCode();
        var sponsor = await created.Content.ReadFromJsonAsync<JsonElement>();
        return (sponsor.GetProperty("sponsorId").GetString()!, sponsor.GetProperty("apiKey").GetString()!);
    }

    private static async Task<T> SendAsync<T>(TestServer server, HttpMethod method, string path, string apiKey, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", apiKey);
        using var response = await server.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }
}
