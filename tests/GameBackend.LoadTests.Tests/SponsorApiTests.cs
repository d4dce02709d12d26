using System.Collections.Concurrent;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.Scenarios;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GameBackend.LoadTests.Tests;

/// <summary>The sponsor-api scenario's request flow against a stand-in API (the real body shapes are not fixed yet).</summary>
public sealed class SponsorApiTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Creates_a_sponsor_then_creates_and_edits_zones_with_the_right_keys()
    {
        var calls = new ConcurrentQueue<string>();
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var app = builder.Build();
        app.MapPost("/api/sponsors", (HttpRequest r) =>
        {
            calls.Enqueue("sponsor " + r.Headers["X-Admin-Key"]);
            return r.Headers["X-Admin-Key"] == "admin" ? Results.Ok(new { sponsorId = "s1", apiKey = "key-1" }) : Results.Unauthorized();
        });
        app.MapPost("/api/sponsors/{sponsorId}/zones", (string sponsorId, HttpRequest r) =>
        {
            calls.Enqueue($"create {sponsorId} {r.Headers["X-Api-Key"]}");
            return Results.Ok(new { zoneId = "z" + calls.Count });
        });
        app.MapPut("/api/sponsors/{sponsorId}/zones/{zoneId}", (string sponsorId, string zoneId, HttpRequest r) =>
        {
            calls.Enqueue($"edit {sponsorId} {zoneId} {r.Headers["X-Api-Key"]}");
            return Results.NoContent();
        });
        await app.StartAsync().WaitAsync(Timeout);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        var options = new LoadTestOptions { Target = address, AdminKey = "admin", Rate = 20, Duration = TimeSpan.FromSeconds(0.5), WarmUp = TimeSpan.Zero };
        var result = await LoadRunner.RegisterScenarios(SponsorApiScenario.Create(options)).RunAsync().WaitAsync(Timeout);
        var stats = result.Scenario("sponsor-api");

        Assert.True(result.Passed, string.Join("; ", result.Errors));
        Assert.Equal(10, stats.Ok.Count);
        Assert.Equal(["create-zone", "edit-zone"], stats.Steps.Select(s => s.Name));
        Assert.Equal(10, stats.Steps[1].Ok.StatusCodes["204"]);
        Assert.Equal("sponsor admin", calls.First());
        Assert.Equal(10, calls.Count(c => c.StartsWith("create s1 key-1", StringComparison.Ordinal)));
        Assert.Equal(10, calls.Count(c => c.StartsWith("edit s1 z", StringComparison.Ordinal) && c.EndsWith(" key-1", StringComparison.Ordinal)));
        await app.StopAsync();
    }
}
