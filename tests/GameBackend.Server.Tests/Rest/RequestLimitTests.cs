using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GameBackend.Server.Hosting;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GameBackend.Server.Tests.Rest;

/// <summary>
/// Issue 12, findings 4 and 7 on REST: rate limits answer 429 problem+json with Retry-After, the
/// analytics cap holds, bodies are bounded and authenticated before anything parses them, and a
/// malformed body is a 400 problem, never a 500.
/// </summary>
public sealed class RequestLimitTests
{
    private const string AdminKey = "limits-tests-admin-key-0123456789";

    private static async Task<(TestServer Server, TestDatabase Database)> StartAsync(Dictionary<string, string?> settings)
    {
        var database = await TestDatabase.CreateAsync("gb_limits");
        settings["ConnectionStrings:Postgres"] = database.ConnectionString;
        settings["Operators:AdminKey"] = AdminKey;
        return (await TestServer.StartAsync(settings), database);
    }

    private static async Task<(Guid Id, string Key)> CreateSponsorAsync(TestServer server, string name = "Acme")
    {
        var response = await server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name }, Rest.Admin(AdminKey));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJsonAsync();
        return (Guid.Parse(body["sponsorId"]!.GetValue<string>()), body["apiKey"]!.GetValue<string>());
    }

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("Too many requests", problem["title"]!.GetValue<string>());
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"Retry-After: {response.Headers.RetryAfter}");
    }

    [Fact]
    public async Task Logins_and_operator_sign_ins_are_limited_per_address_unless_loopback_is_exempt()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Limits:ExemptLoopback"] = "false",
            ["Limits:LoginPerIp:Permits"] = "3",
            ["Limits:LoginPerIp:Window"] = "01:00:00",
        });
        for (var i = 0; i < 3; i++)
        {
            await server.LoginAsync();
        }

        await AssertRateLimitedAsync(await server.Http.SendJsonAsync(HttpMethod.Post, "/api/players/login", new { deviceId = "one-more" }));
        // Guessing the admin key shares the sign-in budget.
        await AssertRateLimitedAsync(await server.Http.SendJsonAsync(HttpMethod.Post, "/api/operator/session", new { adminKey = "guess" }));

        // The same budget with loopback exempt (the default): local tools and the load runner are not counted.
        await using var exempt = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Limits:LoginPerIp:Permits"] = "3",
            ["Limits:LoginPerIp:Window"] = "01:00:00",
        });
        for (var i = 0; i < 6; i++)
        {
            await exempt.LoginAsync();
        }
    }

    [Fact]
    public async Task Sponsor_requests_are_limited_per_sponsor_and_player_requests_per_player()
    {
        var (server, database) = await StartAsync(new Dictionary<string, string?>
        {
            ["Limits:SponsorRequests:Permits"] = "3",
            ["Limits:SponsorRequests:Window"] = "01:00:00",
            ["Limits:PlayerRequests:Permits"] = "2",
            ["Limits:PlayerRequests:Window"] = "01:00:00",
        });
        await using var _ = database;
        await using var __ = server;
        var a = await CreateSponsorAsync(server, "A");
        var b = await CreateSponsorAsync(server, "B");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{a.Id}", null, Rest.Sponsor(a.Key))).StatusCode);
        }

        await AssertRateLimitedAsync(await server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{a.Id}/zones", null, Rest.Sponsor(a.Key)));
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{b.Id}", null, Rest.Sponsor(b.Key))).StatusCode);

        var alice = await server.LoginAsync();
        var bob = await server.LoginAsync();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/collection", null, Rest.Bearer(alice.Token))).StatusCode);
        }

        await AssertRateLimitedAsync(await server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/collection", null, Rest.Bearer(alice.Token)));
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/collection", null, Rest.Bearer(bob.Token))).StatusCode);
    }

    [Fact]
    public async Task Analytics_and_exports_beyond_the_concurrency_cap_get_429_until_a_slot_frees()
    {
        var (server, database) = await StartAsync(new Dictionary<string, string?> { ["Limits:MaxConcurrentAnalytics"] = "1" });
        await using var _ = database;
        await using var __ = server;
        var sponsor = await CreateSponsorAsync(server);
        var player = await server.LoginAsync();
        var url = $"/api/sponsors/{sponsor.Id}/analytics/visits?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z";
        var gate = server.Services.GetRequiredService<AnalyticsGate>();

        // A query in flight holds the only slot.
        using (gate.TryEnter() ?? throw new InvalidOperationException("the slot should be free"))
        {
            await AssertRateLimitedAsync(await server.Http.SendJsonAsync(HttpMethod.Get, url, null, Rest.Sponsor(sponsor.Key)));
            await AssertRateLimitedAsync(await server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/history", null, Rest.Bearer(player.Token)));
            await AssertRateLimitedAsync(await server.Http.SendJsonAsync(HttpMethod.Get,
                "/api/operator/active-players?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z", null, Rest.Admin(AdminKey)));
        }

        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendJsonAsync(HttpMethod.Get, url, null, Rest.Sponsor(sponsor.Key))).StatusCode);
        var export = await server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/history", null, Rest.Bearer(player.Token));
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        await export.Content.ReadAsStringAsync().WaitAsync(TestServer.Timeout);
        export.Dispose();
        // The streamed export gave its slot back when its response ended.
        await Rest.EventuallyAsync(() => Task.FromResult(gate.Free == 1), "the export's slot to be released");
    }

    [Fact]
    public async Task A_25_MB_unauthenticated_body_is_refused_from_its_header_and_a_bad_key_is_refused_before_the_body_is_parsed()
    {
        var (server, database) = await StartAsync([]);
        await using var _ = database;
        await using var __ = server;
        var sponsor = await CreateSponsorAsync(server);

        // As a hostile client would: announce 25 MB, send the first kilobyte, and read the answer.
        // The server answers from the header, without waiting for (or reading) the rest.
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            using var cts = new CancellationTokenSource(TestServer.Timeout);
            await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port, cts.Token);
            var stream = tcp.GetStream();
            var head = $"POST /api/sponsors/{sponsor.Id}/zones HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + $"Content-Length: {25 * 1024 * 1024}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head + new string(' ', 1024)), cts.Token);
            var buffer = new byte[4096];
            var read = await stream.ReadAsync(buffer, cts.Token);
            var answer = Encoding.UTF8.GetString(buffer, 0, read);
            Assert.StartsWith("HTTP/1.1 413", answer);
            Assert.Contains("application/problem+json", answer);
        }

        // Within the size bound, but not JSON and with a wrong key: the key is checked first (401,
        // not 400), so an unauthenticated body is never parsed.
        var garbage = new string('[', 100_000);
        await (await server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsor.Id}/zones", garbage, Rest.Sponsor("gbk_wrong")))
            .AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/exclusion-zones", garbage, Rest.Admin("wrong")))
            .AssertProblemAsync(HttpStatusCode.Unauthorized);

        // A body without Content-Length (chunked) is cut off at the bound too.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/players/login")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"deviceId\":\"" + new string('x', 64 * 1024) + "\"}"))),
        };
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        await (await server.Http.SendAsync(chunked).WaitAsync(TestServer.Timeout)).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "bad JSON", "{\"name\": " },
        { "wrong types", "{\"name\": 17, \"deviceId\": 7, \"adminKey\": 5, \"circle\": \"here\", \"species\": {\"a\": 1}, \"spawnsPerHour\": \"many\", \"maxAlive\": 1.5}" },
        { "invalid UTF-8", "{\"name\": \"\u00ff\u00fe\", \"deviceId\": \"\u00ff\"}" },
        { "too deep", new string('[', 65) + new string(']', 65) },
        { "deep object", string.Concat(Enumerable.Repeat("{\"a\":", 70)) + "1" + new string('}', 70) },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task A_malformed_body_is_a_400_problem_on_every_endpoint_that_takes_one(string what, string body)
    {
        var (server, database) = await StartAsync([]);
        await using var _ = database;
        await using var __ = server;
        var sponsor = await CreateSponsorAsync(server);
        var bytes = what == "invalid UTF-8" ? Latin1(body) : Encoding.UTF8.GetBytes(body);
        var zone = Guid.NewGuid();
        foreach (var (method, url, header) in new (HttpMethod, string, (string, string)?)[]
                 {
                     (HttpMethod.Post, "/api/players/login", null),
                     (HttpMethod.Post, "/api/operator/session", null),
                     (HttpMethod.Post, "/api/sponsors", Rest.Admin(AdminKey)),
                     (HttpMethod.Post, "/api/exclusion-zones", Rest.Admin(AdminKey)),
                     (HttpMethod.Post, $"/api/sponsors/{sponsor.Id}/zones", Rest.Sponsor(sponsor.Key)),
                     (HttpMethod.Put, $"/api/sponsors/{sponsor.Id}/zones/{zone}", Rest.Sponsor(sponsor.Key)),
                 })
        {
            using var request = new HttpRequestMessage(method, url) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (header is { } h)
            {
                request.Headers.TryAddWithoutValidation(h.Item1, h.Item2);
            }

            var response = await server.Http.SendAsync(request).WaitAsync(TestServer.Timeout);
            var text = await response.Content.ReadAsStringAsync();
            // PUT of a zone that does not exist may answer 404 first (existence before body, see SponsorApi).
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest || (method == HttpMethod.Put && response.StatusCode == HttpStatusCode.NotFound),
                $"{what} to {method} {url}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);
}
