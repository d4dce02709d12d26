using System.Net.Http.Json;
using System.Globalization;
using System.Text.RegularExpressions;
using GameBackend.Contracts;
using GameBackend.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Web.Tests;

[Collection(BrowserCollection.Name)]
public sealed partial class PlayerPageTests(BrowserFixture browser)
{
    private const double StartLat = 52.5200;
    private const double StartLng = 13.4050;
    private const double MetersPerDegreeLat = 111_195;

    [Fact]
    public async Task Player_page_works_offline_and_walking_moves_the_player_on_the_server()
    {
        await using var server = await TestServer.StartAsync();
        using var clock = RealTimeFollower.Start(server);
        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await page.GotoAsync(new Uri(server.BaseAddress, $"play.html?lat={StartLat}&lng={StartLng}&step=5").ToString());
            await Expect(page.Locator("#status")).ToHaveTextAsync("connected");
            await Expect(page.Locator("#protocol")).ToHaveTextAsync("msgpack");
            await Expect(page.Locator("#cell")).ToContainTextAsync("cell ");
            await Expect(page.Locator("#position")).ToHaveTextAsync("52.520000, 13.405000");

            await page.Keyboard.PressAsync("ArrowUp");
            await page.Keyboard.PressAsync("ArrowUp");
            await page.Keyboard.PressAsync("ArrowUp");
            await page.Keyboard.PressAsync("ArrowRight");
            // Three 5 m steps north, one east, each acknowledged before the next is sent.
            var expectedLat = StartLat + (15 / MetersPerDegreeLat);
            await Expect(page.Locator("#position")).ToHaveTextAsync(PositionPattern(expectedLat));
            await page.WaitForFunctionAsync("() => { const s = window.gameBackend.state; return s.queue.length === 0 && !s.inFlight; }");

            // The same account, logged in again with the device id and secret this browser keeps.
            var device = await page.EvaluateAsync<string>("() => localStorage.getItem('gb.deviceId')");
            var secret = await page.EvaluateAsync<string>("() => localStorage.getItem('gb.deviceSecret')");
            var login = await LoginWithSecretAsync(server, device, secret);
            await using var connection = server.BuildConnection(login.GetProperty("token").GetString(), WireProtocol.Json);
            await connection.StartAsync().WaitAsync(TestServer.Timeout);
            var state = await connection.InvokeAsync<PlayerState>(HubMethods.GetState).WaitAsync(TestServer.Timeout);

            Assert.NotNull(state.Latitude);
            Assert.InRange((state.Latitude!.Value - StartLat) * MetersPerDegreeLat, 14.5, 15.5);
            var eastMeters = (state.Longitude!.Value - StartLng) * MetersPerDegreeLat * Math.Cos(StartLat * Math.PI / 180);
            Assert.InRange(eastMeters, 4.5, 5.5);
            Assert.Equal(90, state.Course!.Value, 1);
            Assert.Equal(0, state.Strikes);
            Assert.NotNull(state.Acceleration);
            await Expect(page.Locator("#reject")).ToBeHiddenAsync();

            await guarded.ScreenshotAsync("player-walked");
            Assert.Empty(guarded.Blocked);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    [Fact]
    public async Task A_link_cannot_choose_the_device_and_a_reload_keeps_the_same_player()
    {
        await using var server = await TestServer.StartAsync();
        // The victim's phone registered first; the attacker knows its device id and sends a link.
        var victimDevice = "victim-phone-" + Guid.NewGuid().ToString("N");
        var victim = (await server.LoginAsync(victimDevice)).PlayerId;

        using var clock = RealTimeFollower.Start(server);
        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await page.GotoAsync(new Uri(server.BaseAddress, $"play.html?lat={StartLat}&lng={StartLng}&device={victimDevice}").ToString());
            await Expect(page.Locator("#status")).ToHaveTextAsync("connected");
            await Expect(page.Locator("#player-id")).ToHaveTextAsync(new Regex("^g-[0-9a-f]{24}$"));
            var mine = await page.Locator("#player-id").TextContentAsync();
            Assert.NotEqual(victim, mine);
            Assert.NotEqual(victimDevice, await page.EvaluateAsync<string>("() => localStorage.getItem('gb.deviceId')"));
            Assert.StartsWith("gds_", await page.EvaluateAsync<string>("() => localStorage.getItem('gb.deviceSecret')"));

            // A reload logs the same browser in as the same player with the secret it kept.
            await page.ReloadAsync();
            await Expect(page.Locator("#status")).ToHaveTextAsync("connected");
            await Expect(page.Locator("#player-id")).ToHaveTextAsync(mine!);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    private static async Task<System.Text.Json.JsonElement> LoginWithSecretAsync(TestServer server, string deviceId, string secret)
    {
        using var response = await server.Http.PostAsJsonAsync("/api/players/login", new { deviceId, deviceSecret = secret });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
    }

    [Fact]
    public async Task Player_walks_to_a_creature_and_captures_it()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Game:Spawning:AmbientPerSquareKm"] = "1500",
            ["Game:Spawning:TickInterval"] = "00:00:00.050",
            // Game time stands still between the test's Advance calls; the walk must not run out of rate tokens.
            ["Game:Movement:MaxUpdatesPerSecond"] = "1000",
            ["Game:Movement:RateBurst"] = "1000",
        });
        using var clock = RealTimeFollower.Start(server);
        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await page.GotoAsync(new Uri(server.BaseAddress,
                $"play.html?lat={StartLat}&lng={StartLng}&step=10&protocol=json").ToString());
            await Expect(page.Locator("#protocol")).ToHaveTextAsync("json");
            await Expect(page.Locator("#cell")).ToContainTextAsync("cell ");

            var creatures = page.Locator("#creatures li");
            for (var attempt = 0; ; attempt++)
            {
                server.Time.Advance(TimeSpan.FromSeconds(20));
                try
                {
                    await creatures.First.WaitForAsync(new LocatorWaitForOptions { Timeout = 2_000 });
                    break;
                }
                catch (TimeoutException) when (attempt < 5)
                {
                }
            }

            // What a person sees: every listed creature carries its distance, and the marker of each one
            // near the player (within 100 m) is drawn inside the visible map.
            var labels = await page.Locator("#creatures li .label").AllInnerTextsAsync();
            Assert.All(labels, l => Assert.Matches(ListLabel(), l));
            var mapBox = (await page.Locator("#map").BoundingBoxAsync())!;
            foreach (var near in await page.Locator("#creatures li").AllAsync())
            {
                if (double.Parse((await near.GetAttributeAsync("data-distance"))!, CultureInfo.InvariantCulture) > 100)
                {
                    continue;
                }

                var id = await near.GetAttributeAsync("data-creature-id");
                var marker = page.Locator($"#map path.creature-marker[data-creature-id='{id}']");
                await Expect(marker).ToBeVisibleAsync();
                AssertInside(mapBox, (await marker.BoundingBoxAsync())!, $"creature {id}");
            }

            // Catch chances fall with rarity; a common one makes the throw loop short.
            var common = page.Locator("#creatures li:has(.rarity-common)");
            var row = await common.CountAsync() > 0 ? common.First : creatures.First;
            var creatureId = await row.GetAttributeAsync("data-creature-id");
            Assert.False(string.IsNullOrEmpty(creatureId));
            Assert.Matches(ListLabel(), await row.Locator(".label").InnerTextAsync());
            var target = page.Locator($"#creatures li[data-creature-id='{creatureId}']");

            await target.Locator("button.go").ClickAsync();
            await page.WaitForFunctionAsync(
                "id => { const li = document.querySelector(`#creatures li[data-creature-id='${id}']`); const s = window.gameBackend.state;"
                + " return li && Number(li.dataset.distance) <= 15 && !s.target && !s.inFlight; }",
                creatureId);

            var result = page.Locator("#capture-result");
            for (var throws = 1; ; throws++)
            {
                await result.EvaluateAsync("e => delete e.dataset.outcome");
                await target.Locator("button.throw").ClickAsync();
                await Expect(result).ToHaveAttributeAsync("data-outcome", OutcomePattern());
                var outcome = await result.GetAttributeAsync("data-outcome");
                if (outcome == CaptureOutcomes.Captured)
                {
                    break;
                }

                Assert.Equal(CaptureOutcomes.Escaped, outcome);
                Assert.True(throws < 40, "40 throws at a common creature all escaped");
            }

            await Expect(result).ToContainTextAsync("winner: you");
            await Expect(result).ToBeVisibleAsync();
            await Expect(result).ToHaveClassAsync(new Regex(@"\bok\b"));
            await Expect(target).ToHaveCountAsync(0);
            await Expect(page.Locator($"#map path.creature-marker[data-creature-id='{creatureId}']")).ToHaveCountAsync(0);
            await guarded.ScreenshotAsync("player-captured");
            Assert.Empty(guarded.Blocked);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    [Fact]
    public async Task Walking_forty_steps_with_the_arrow_keys_keeps_the_player_marker_inside_the_map()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            // Game time stands still in this test; forty fixes must not run out of rate tokens.
            ["Game:Movement:MaxUpdatesPerSecond"] = "1000",
            ["Game:Movement:RateBurst"] = "1000",
        });
        using var clock = RealTimeFollower.Start(server);
        await browser.RunAsync(async guarded =>
        {
            var page = guarded.Page;
            await page.GotoAsync(new Uri(server.BaseAddress, $"play.html?lat={StartLat}&lng={StartLng}&step=5").ToString());
            await Expect(page.Locator("#cell")).ToContainTextAsync("cell ");
            var mapBox = (await page.Locator("#map").BoundingBoxAsync())!;
            var marker = page.Locator("#map path.player-me");
            AssertInside(mapBox, (await marker.BoundingBoxAsync())!, "the player at the start");
            // 200 m north at zoom 18 is more than half the map's height (~145 m): without following,
            // the marker leaves the view; with Leaflet's keyboard panning, the map runs off even sooner.
            for (var step = 0; step < 40; step++)
            {
                await page.Keyboard.PressAsync("ArrowUp");
                if (step % 10 == 9)
                {
                    // The page queues at most 20 steps; let it drain so no key press is dropped.
                    await page.WaitForFunctionAsync("() => window.gameBackend.state.queue.length === 0");
                }
            }

            var expectedLat = StartLat + (200 / MetersPerDegreeLat);
            await Expect(page.Locator("#position")).ToHaveTextAsync(PositionPattern(expectedLat));
            await page.WaitForFunctionAsync("() => { const s = window.gameBackend.state; return s.queue.length === 0 && !s.inFlight; }");
            await Expect(page.Locator("#reject")).ToBeHiddenAsync();

            var box = (await marker.BoundingBoxAsync())!;
            Assert.True(box.Width >= 10 && box.Height >= 10, $"the marker's SVG collapsed to {box.Width}×{box.Height}");
            AssertInside(mapBox, box, "the player after 40 steps");
            // The view followed: its centre moved north with the player.
            var centerLat = await page.EvaluateAsync<double>("() => window.gameBackend.map.getCenter().lat");
            Assert.True((centerLat - StartLat) * MetersPerDegreeLat > 50, $"the map stayed where it was (centre {centerLat})");
            await guarded.ScreenshotAsync("player-walked-40-steps");
            Assert.Empty(guarded.Blocked);
            Assert.Empty(guarded.ConsoleErrors);
        });
    }

    internal static void AssertInside(LocatorBoundingBoxResult outer, LocatorBoundingBoxResult inner, string what) =>
        Assert.True(
            inner.X >= outer.X && inner.Y >= outer.Y && inner.X + inner.Width <= outer.X + outer.Width && inner.Y + inner.Height <= outer.Y + outer.Height,
            $"{what}: box ({inner.X:F0}, {inner.Y:F0}, {inner.Width:F0}×{inner.Height:F0}) is not inside the map ({outer.X:F0}, {outer.Y:F0}, {outer.Width:F0}×{outer.Height:F0})");

    private static Regex PositionPattern(double latitude) =>
        new("^" + Regex.Escape(latitude.ToString("F6", CultureInfo.InvariantCulture)[..^1]) + @"\d, 13\.405\d+$");

    [GeneratedRegex(@"^[a-z]+ \((common|uncommon|rare|epic|legendary)\) — \d+ m, (north|north-east|east|south-east|south|south-west|west|north-west)")]
    private static partial Regex ListLabel();

    [GeneratedRegex("^(captured|escaped|alreadyCaptured|tooFar|expired|notFound|rejected)$")]
    private static partial Regex OutcomePattern();
}
