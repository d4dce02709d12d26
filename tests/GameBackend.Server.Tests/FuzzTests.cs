using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GameBackend.Contracts;
using GameBackend.Server.Tests.Infrastructure;
using GameBackend.Server.Tests.Rest;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GameBackend.Server.Tests;

/// <summary>
/// Seeded, bounded fuzzing of every entry point (issue 12, finding 7): mutated hub frames over both
/// protocols and mutated REST bodies. Deterministic (fixed seeds) and quick enough for CI. What must
/// hold whatever the input: no 5xx, every error a problem+json, no Error in the server log, and
/// other players keep playing.
/// </summary>
public sealed class FuzzTests
{
    private const int HubCases = 60;
    private const int RestCases = 80;

    [Theory]
    [InlineData("json", 1201)]
    [InlineData("messagepack", 1202)]
    public async Task Mutated_hub_frames_never_fail_the_server_and_each_is_answered_or_closes_only_its_connection(string protocol, int seed)
    {
        var logs = new RecordingLoggerProvider();
        await using var server = await TestServer.StartAsync(configureServices: services => services.AddSingleton<ILoggerProvider>(logs));
        await using var bystander = await server.ConnectPlayerAsync(WireProtocol.Json);
        var random = new Random(seed);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var hub = await RawHub.ConnectAsync(server, protocol, cts.Token);
        try
        {
            for (var i = 0; i < HubCases; i++)
            {
                var valid = ValidFrame(protocol, random, server.Time.GetUtcNow().ToUnixTimeMilliseconds());
                var frame = protocol == "json" ? Mutate(random, valid, text: true) : Reframe(Mutate(random, Unframe(valid), text: false));
                try
                {
                    await Send(hub, protocol, frame, cts.Token);
                    // A valid call after the frame: its answer shows the frame was dealt with.
                    var probe = "p" + i;
                    await Send(hub, protocol, Encode(protocol, new InvocationMessage(probe, HubMethods.GetState, [])), cts.Token);
                    await UntilAnswerOrClose(hub, probe, cts.Token);
                }
                catch (System.Net.WebSockets.WebSocketException)
                {
                    // The server closed this connection over an earlier frame; that is allowed.
                }

                if (hub.State != System.Net.WebSockets.WebSocketState.Open)
                {
                    hub.Dispose();
                    hub = await RawHub.ConnectAsync(server, protocol, cts.Token);
                }
            }
        }
        finally
        {
            hub.Dispose();
        }

        Assert.True((await bystander.MoveToAsync(1, 1, server.Time.GetUtcNow().ToUnixTimeMilliseconds())).Accepted);
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Category + ": " + e.Message.Split('\n')[0]).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Distinct().Take(10)));
    }

    [Fact]
    public async Task Mutated_rest_bodies_are_answered_below_500_and_every_error_is_a_problem()
    {
        var logs = new RecordingLoggerProvider();
        await using var database = await TestDatabase.CreateAsync("gb_fuzz");
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = database.ConnectionString, ["Operators:AdminKey"] = "fuzz-admin-key-0123456789" },
            services => services.AddSingleton<ILoggerProvider>(logs));
        var created = await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "Fuzz" }, Rest.Rest.Admin("fuzz-admin-key-0123456789"))).ReadJsonAsync();
        var sponsorId = created["sponsorId"]!.GetValue<string>();
        var key = created["apiKey"]!.GetValue<string>();
        var player = await server.LoginAsync();
        var targets = new (string Url, string Body, (string, string) Header)[]
        {
            ("/api/players/login", "{\"deviceId\":\"fuzz-device\",\"displayName\":\"Fuzz\"}", ("X-None", "")),
            ("/api/sponsors", "{\"name\":\"Coffee\"}", Rest.Rest.Admin("fuzz-admin-key-0123456789")),
            ("/api/exclusion-zones", "{\"name\":\"School\",\"polygon\":{\"type\":\"Polygon\",\"coordinates\":[[[18.0,59.0],[18.01,59.0],[18.01,59.01],[18.0,59.0]]]}}",
                Rest.Rest.Admin("fuzz-admin-key-0123456789")),
            ($"/api/sponsors/{sponsorId}/zones",
                "{\"name\":\"Cafe\",\"circle\":{\"latitude\":59.3,\"longitude\":18.0,\"radiusMeters\":100},\"species\":[{\"speciesId\":\"latte-bird\",\"weight\":1}],\"spawnsPerHour\":4,\"maxAlive\":3}",
                Rest.Rest.Sponsor(key)),
        };
        var random = new Random(1203);
        for (var i = 0; i < RestCases; i++)
        {
            var (url, body, header) = targets[random.Next(targets.Length)];
            var bytes = Mutate(random, Encoding.UTF8.GetBytes(body), text: true);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation(header.Item1, header.Item2);
            var response = await server.Http.SendAsync(request).WaitAsync(TestServer.Timeout);
            var text = await response.Content.ReadAsStringAsync().WaitAsync(TestServer.Timeout);
            var shown = Encoding.UTF8.GetString(bytes);
            Assert.True((int)response.StatusCode < 500, $"case {i}: {url} with {shown} answered {(int)response.StatusCode}: {text}");
            if ((int)response.StatusCode >= 400)
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"case {i}: {url} with {shown}: {text}");
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/collection", null, Rest.Rest.Bearer(player.Token))).StatusCode);
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Category + ": " + e.Message.Split('\n')[0]).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Distinct().Take(10)));
    }

    private static byte[] ValidFrame(string protocol, Random random, long now)
    {
        HubMessage message = random.Next(4) switch
        {
            0 => new InvocationMessage("u", HubMethods.UpdateLocation,
                [new LocationUpdate { Seq = random.Next(1, 1000), Timestamp = now, Latitude = 10 + random.NextDouble(), Longitude = 10 + random.NextDouble() }]),
            1 => new InvocationMessage("c", HubMethods.TryCapture, [new CaptureRequest { CreatureId = "creature-" + random.Next(100), AttemptId = "a" + random.Next() }]),
            2 => new InvocationMessage("s", HubMethods.StreamLocation, [], ["st"]),
            _ => new StreamItemMessage("st", new LocationUpdate { Seq = random.Next(1, 1000), Timestamp = now, Latitude = 11, Longitude = 11 }),
        };
        return Encode(protocol, message);
    }

    private static byte[] Encode(string protocol, HubMessage message)
    {
        var writer = new ArrayBufferWriter<byte>();
        if (protocol == "json")
        {
            new JsonHubProtocol(Microsoft.Extensions.Options.Options.Create(new Microsoft.AspNetCore.SignalR.JsonHubProtocolOptions
            {
                PayloadSerializerOptions = { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase },
            })).WriteMessage(message, writer);
        }
        else
        {
            new MessagePackHubProtocol().WriteMessage(message, writer);
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>One to four byte-level edits: replace, insert, delete, or swap in a hostile token (JSON).</summary>
    private static byte[] Mutate(Random random, byte[] valid, bool text)
    {
        var bytes = new List<byte>(valid);
        var tokens = new[] { "null", "\"x\"", "1e309", "-1", "9223372036854775807", "[]", "{}", "true", "\"\\u0000\"", new string('[', 70) };
        var edits = random.Next(1, 5);
        for (var e = 0; e < edits && bytes.Count > 2; e++)
        {
            // Keep JSON's record separator at the end so the frame is still a frame.
            var end = text && bytes[^1] == 0x1e ? bytes.Count - 1 : bytes.Count;
            var at = random.Next(end);
            switch (random.Next(4))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 2:
                    bytes.RemoveAt(at);
                    break;
                default:
                    if (text)
                    {
                        bytes.InsertRange(at, Encoding.UTF8.GetBytes(tokens[random.Next(tokens.Length)]));
                    }
                    else
                    {
                        bytes[at] ^= 0xff;
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>
    /// MessagePack frames start with their length (a varint). The fuzzer mutates the message and
    /// re-frames it, so every frame is complete: a wrong length only makes the server wait for more.
    /// </summary>
    private static byte[] Unframe(byte[] frame)
    {
        var at = 0;
        while ((frame[at] & 0x80) != 0)
        {
            at++;
        }

        return frame[(at + 1)..];
    }

    private static byte[] Reframe(byte[] message)
    {
        var prefix = new List<byte>();
        var length = (uint)message.Length;
        do
        {
            var b = (byte)(length & 0x7f);
            length >>= 7;
            prefix.Add(length > 0 ? (byte)(b | 0x80) : b);
        }
        while (length > 0);

        return [.. prefix, .. message];
    }

    private static Task Send(RawHub hub, string protocol, byte[] frame, CancellationToken cancellationToken) =>
        protocol == "json" ? hub.SendAsync(Encoding.UTF8.GetString(frame), cancellationToken) : hub.SendBinaryAsync(frame, cancellationToken);

    private static async Task UntilAnswerOrClose(RawHub hub, string probe, CancellationToken cancellationToken)
    {
        while (true)
        {
            var reply = await hub.ReceiveAsync(cancellationToken);
            if (reply.StartsWith("close", StringComparison.Ordinal) || reply.Contains(probe, StringComparison.Ordinal))
            {
                return;
            }
        }
    }
}
