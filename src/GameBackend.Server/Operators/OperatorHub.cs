using System.Text.Json;
using GameBackend.Server.Hosting;
using GameBackend.Server.Spawning;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace GameBackend.Server.Operators;

/// <summary>
/// The operator live map at <c>/hubs/operator</c>: authenticated with the admin key
/// (<c>adminKey</c> query parameter for browsers, or the <c>X-Admin-Key</c> header); every node
/// pushes its own <c>liveSnapshot</c> about once a second to the <c>operators</c> group.
/// </summary>
[Authorize(Policy = OperatorKeyAuthenticationHandler.Policy)]
public sealed class OperatorHub(LiveMap live, WorldCache world, OperatorHubModeration moderation) : Hub
{
    public const string Path = "/hubs/operator";
    public const string Group = "operators";

    /// <summary>The signed-in operator as the audit log records it (the session's name, or the key's).</summary>
    private string Actor => Actors.Operator(OperatorSessions.NameOf(Context.User));

    // The policy is checked at negotiate (a wrong key gets 401 and never reaches the hub) and again
    // on every hub method call.
    public override async Task OnConnectedAsync()
    {
        live.Watch(1);
        await Groups.AddToGroupAsync(Context.ConnectionId, Group);
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        live.Watch(-1);
        return Task.CompletedTask;
    }

    /// <summary>The name of the signed-in operator (what the audit log records as <c>operator:&lt;name&gt;</c>).</summary>
    public string GetOperator() => OperatorSessions.NameOf(Context.User);

    /// <summary>Sponsor and exclusion zones as GeoJSON geometries.</summary>
    public IReadOnlyList<MapZone> GetZones()
    {
        var zones = world.Zones.Select(z => new MapZone(z.Zone.Id, "sponsor", z.Name, Sponsors.GeoJson.ToJson(z.Area)));
        var exclusions = world.ExclusionZones.Select(e => new MapZone(e.Id.ToString(), "exclusion", e.Name, Sponsors.GeoJson.ToJson(e.Area)));
        return [.. zones, .. exclusions];
    }

    /// <summary>Sponsor zones waiting for approval (<c>pending_approval</c>, the default) or <c>rejected</c>.</summary>
    public Task<ZoneReviewResponse[]> GetZonesForReview(string? status) => moderation.GetZonesForReview(status);

    /// <summary>Approves or rejects a zone (a rejection needs a reason). False when it is not reviewable.</summary>
    public Task<bool> ReviewZone(Guid zoneId, bool approve, string? reason) => moderation.ReviewZone(Actor, zoneId, approve, reason);

    /// <summary>Removal requests: <c>open</c> (default), <c>accepted</c>, <c>rejected</c> or <c>all</c>.</summary>
    public Task<RemovalRequestResponse[]> GetRemovalRequests(string? status) => moderation.GetRemovalRequests(status);

    /// <summary>Accepting turns the request into an exclusion zone (live despawn); a rejection needs a reason.</summary>
    public Task<bool> DecideRemovalRequest(Guid requestId, bool accept, string? reason) => moderation.DecideRemovalRequest(Actor, requestId, accept, reason);

    /// <summary>Banned players, newest first.</summary>
    public Task<Data.Moderation.PlayerBan[]> GetBans() => moderation.GetBans();

    /// <summary>The players with most anti-cheat strikes, stored for the whole cluster (the first 100).</summary>
    public Task<IReadOnlyList<PlayerStrikes>> GetStrikes() => moderation.GetStrikes();

    /// <summary>Bans a player: their connections close with the reason, new logins are refused.</summary>
    public Task<Data.Moderation.PlayerBan> Ban(string playerId, string reason) => moderation.Ban(Actor, playerId, reason);

    /// <summary>Lifts a ban. False when the player was not banned.</summary>
    public Task<bool> Unban(string playerId) => moderation.Unban(Actor, playerId);

    /// <summary>The audit log, newest first, filtered.</summary>
    public Task<AuditEntryResponse[]> GetAudit(AuditQuery query) => moderation.GetAudit(query);

    /// <summary>The audit actions the log can hold (for the console's filter).</summary>
    public IReadOnlyList<string> GetAuditActions() => OperatorHubModeration.AuditActionNames;

    /// <summary>Position samples on a grid for the console's heatmap layer.</summary>
    public Task<HeatmapResponse> GetHeatmap(HeatmapQuery query) => moderation.GetHeatmap(query);
}

/// <summary>A zone on the operator map.</summary>
public sealed record MapZone(string Id, string Kind, string Name, JsonElement Geometry);

/// <summary>Pushes this node's live picture to the operators group once a second while anyone watches.</summary>
internal sealed class LiveMapBroadcaster(LiveMap live, IHubContext<OperatorHub> hub, GameClock clock, Orleans.Runtime.ILocalSiloDetails silo) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var node = silo.SiloAddress.ToParsableString();
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!live.Watched)
            {
                continue;
            }

            var (players, creatures) = live.Snapshot(clock.NowMs, staleAfterMs: 120_000);
            await hub.Clients.Group(OperatorHub.Group).SendAsync("liveSnapshot", new
            {
                node,
                players = players.Select(p => new { p.PlayerId, p.Latitude, p.Longitude, p.Heading, p.UpdatedAt }),
                creatures = creatures.Select(c => new
                {
                    creatureId = c.Id, c.Species, c.Rarity, c.Latitude, c.Longitude, expiresAt = c.ExpiresAtMs, sponsorZoneId = c.SponsorZoneId,
                }),
            }, stoppingToken);
        }
    }
}
