using System.Net.Http.Json;
using System.Text.Json;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>
/// Sponsor REST API: creates a sponsor (<c>POST /api/sponsors</c>, header <c>X-Admin-Key</c>) in init, then per
/// invocation creates a zone and edits it (<c>/api/sponsors/{sponsorId}/zones</c>, header <c>X-Api-Key</c>).
/// The body shapes follow docs/rest.md and live only in <see cref="Bodies"/>.
/// </summary>
public static class SponsorApiScenario
{
    /// <summary>Request bodies and response field names of the sponsor API (docs/rest.md).</summary>
    public static class Bodies
    {
        /// <summary>Body of <c>POST /api/sponsors</c>.</summary>
        public static object Sponsor(int seed) => new { name = $"Load test sponsor {seed}" };

        /// <summary>Body of <c>POST …/zones</c>: a circle around a seeded point.</summary>
        public static object Zone(Random random, (double Latitude, double Longitude) centre)
        {
            var (lat, lon) = Geo.Move(centre.Latitude, centre.Longitude, random.NextDouble() * 360, random.NextDouble() * 2000);
            return new
            {
                name = $"zone {random.Next()}",
                circle = new { latitude = lat, longitude = lon, radiusMeters = 50 + random.Next(150) },
                species = new[] { new { speciesId = "emberkit", weight = 1 } },
                spawnsPerHour = 30,
                maxAlive = 5,
            };
        }

        /// <summary>Body of <c>PUT …/zones/{zoneId}</c>: a full replacement (the API has no partial update).</summary>
        public static object ZoneEdit(Random random, (double Latitude, double Longitude) centre) => Zone(random, centre);

        /// <summary>Reads an id from a response, trying the likely property names.</summary>
        public static string ReadId(JsonElement body, params string[] names) =>
            names.Select(n => body.TryGetProperty(n, out var v) ? v.ToString() : null).FirstOrDefault(v => v is not null)
            ?? throw new InvalidOperationException($"None of {string.Join(", ", names)} in {body}");
    }

    /// <summary>Creates the scenario.</summary>
    public static ScenarioProps Create(LoadTestOptions options)
    {
        var http = GameApi.Client;
        var sponsorId = "";
        var apiKey = "";

        return Scenario.Create("sponsor-api", async ctx =>
            {
                var zoneId = "";
                var created = await Step.Run("create-zone", ctx, async () =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Target, $"/api/sponsors/{sponsorId}/zones"))
                    {
                        Content = JsonContent.Create(Bodies.Zone(ctx.Random, options.Centre)),
                    };
                    request.Headers.Add("X-Api-Key", apiKey);
                    using var response = await http.SendAsync(request, ctx.CancellationToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        return Response.Fail(((int)response.StatusCode).ToString());
                    }

                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(ctx.CancellationToken);
                    zoneId = Bodies.ReadId(body, "zoneId", "id");
                    return Response.Ok(((int)response.StatusCode).ToString());
                });
                if (created.IsError)
                {
                    return created;
                }

                return await Step.Run("edit-zone", ctx, async () =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(options.Target, $"/api/sponsors/{sponsorId}/zones/{zoneId}"))
                    {
                        Content = JsonContent.Create(Bodies.ZoneEdit(ctx.Random, options.Centre)),
                    };
                    request.Headers.Add("X-Api-Key", apiKey);
                    using var response = await http.SendAsync(request, ctx.CancellationToken);
                    var code = ((int)response.StatusCode).ToString();
                    return response.IsSuccessStatusCode ? Response.Ok(code) : Response.Fail(code);
                });
            })
            .WithInit(async init =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Target, "/api/sponsors"))
                {
                    Content = JsonContent.Create(Bodies.Sponsor(init.Seed)),
                };
                request.Headers.Add("X-Admin-Key", options.AdminKey ?? throw new InvalidOperationException("sponsor-api needs --admin-key."));
                using var response = await http.SendAsync(request, init.CancellationToken);
                response.EnsureSuccessStatusCode();
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(init.CancellationToken);
                sponsorId = Bodies.ReadId(body, "sponsorId", "id");
                apiKey = Bodies.ReadId(body, "apiKey", "key");
            })
            .WithWarmUpDuration(options.WarmUp)
            .WithMaxInFlight(options.MaxInFlight)
            .WithLoadSimulations(Simulation.Inject(options.Rate, TimeSpan.FromSeconds(1), options.Duration))
            .WithThresholds(WalkersScenario.CommonThresholds(options));
    }
}
