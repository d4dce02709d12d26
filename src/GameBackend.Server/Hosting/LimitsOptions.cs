using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Hosting;

/// <summary>A fixed-window budget: <see cref="Permits"/> requests per <see cref="Window"/>.</summary>
public sealed class WindowLimit
{
    /// <summary>Requests admitted per window; one more answers 429 with <c>Retry-After</c>.</summary>
    [Range(1, 1_000_000)]
    public int Permits { get; set; }

    /// <summary>Length of one window.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Abuse limits on every entry point (section <c>Limits</c>); see docs/security.md for the threat
/// each one answers. Defaults let a real player, sponsor console or operator never notice them.
/// </summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>
    /// When true (default), requests and connections from a loopback address are not counted by the
    /// per-IP limits (login, operator REST, connections per IP). Per-IP limits need the client's real
    /// address: from loopback come local tools, the load runner and a proxy on the same host, and a
    /// proxy without forwarded headers would otherwise put every player in one bucket. Set false when
    /// clients reach the server directly on its host, or to test the limits themselves.
    /// Per-player, per-sponsor and per-connection limits apply to loopback too.
    /// </summary>
    public bool ExemptLoopback { get; set; } = true;

    /// <summary><c>POST /api/players/login</c> per client IP (default 30 per minute).</summary>
    public WindowLimit LoginPerIp { get; set; } = new() { Permits = 30 };

    /// <summary>Sponsor REST (<c>/api/sponsors/{id}/…</c>) per sponsor (default 120 per minute).</summary>
    public WindowLimit SponsorRequests { get; set; } = new() { Permits = 120 };

    /// <summary>Player REST (<c>/api/players/me/…</c>) per player (default 60 per minute).</summary>
    public WindowLimit PlayerRequests { get; set; } = new() { Permits = 60 };

    /// <summary>Operator REST (exclusion zones, analytics, sponsor accounts) per client IP (default 300 per minute).</summary>
    public WindowLimit OperatorRequestsPerIp { get; set; } = new() { Permits = 300 };

    /// <summary>Analytics queries and history exports running at once on this node (default 4); one more answers 429.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentAnalytics { get; set; } = 4;

    /// <summary>
    /// How long an analytics query or export waits for a slot before it is answered 429 (default
    /// 2 s): the sponsor console asks for six figures at once, which a cap of four must serve in turn,
    /// not refuse. Zero refuses at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan AnalyticsQueueTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// PostgreSQL statement timeout of every analytics, heatmap, funnel and statement query a sponsor
    /// or operator starts (default 5 s): their cost grows with the range, area and data the caller
    /// chooses, and the concurrency cap alone would let four slow queries hold their slots and
    /// connections for as long as they run. Set per query transaction (<c>SET LOCAL</c>), so no other
    /// query on the pooled connection inherits it. A query stopped by it answers 503 problem+json
    /// with <c>Retry-After</c>, naming this setting.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan AnalyticsStatementTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws (<c>TryCapture</c>) per second per connection, sustained (default 5).</summary>
    [Range(0.1, 1000)]
    public double ThrowsPerSecond { get; set; } = 5;

    /// <summary>Throws a connection may make at once before <see cref="ThrowsPerSecond"/> applies (default 10).</summary>
    [Range(1, 10_000)]
    public int ThrowBurst { get; set; } = 10;

    /// <summary>Hub connections one player may hold on this node (default 4: a phone, a tab, and reconnects overlapping).</summary>
    [Range(1, 1000)]
    public int MaxConnectionsPerPlayer { get; set; } = 4;

    /// <summary>Hub connections from one client IP on this node (default 256: players behind one carrier NAT).</summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerIp { get; set; } = 256;

    /// <summary><c>StreamLocation</c> streams one connection may have open (default 1: a client streams one position).</summary>
    [Range(1, 64)]
    public int MaxStreamsPerConnection { get; set; } = 1;

    /// <summary>
    /// Largest <c>seq</c> accepted (default 2^53−1, the largest integer a JavaScript client can count
    /// to exactly). A bigger one is answered <c>implausibleSequence</c>: accepting <c>seq</c> = 2^63−1
    /// made every later fix of that player <c>staleSequence</c> for good. Clients that number fixes by
    /// time (the load runner uses Unix microseconds, ~1.8·10^15) stay far below it.
    /// </summary>
    [Range(1_000_000, long.MaxValue)]
    public long MaxSeq { get; set; } = (1L << 53) - 1;

    /// <summary>
    /// Largest step a fix's <c>seq</c> may take past the player's last accepted one, once there is one
    /// (default 2^50: a client numbering by microseconds may pause for 35 years). Beyond it: <c>implausibleSequence</c>.
    /// </summary>
    [Range(1000, long.MaxValue / 4)]
    public long MaxSeqJump { get; set; } = 1L << 50;

    /// <summary>
    /// A connection whose fixes were answered <c>rateLimited</c> this many times within
    /// <see cref="FloodWindow"/> is closed (default 200: three times the allowed rate for ten seconds).
    /// </summary>
    [Range(10, 1_000_000)]
    public int FloodRejections { get; set; } = 200;

    /// <summary>Window over which <see cref="FloodRejections"/> counts (default 10 s).</summary>
    public TimeSpan FloodWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Zones one sponsor may have (default 1,000); one more is refused with 400 <c>quota</c>.</summary>
    [Range(1, 1_000_000)]
    public int MaxZonesPerSponsor { get; set; } = 1000;

    /// <summary>Total requested area of one sponsor's zones, km² (default 1,000: ten city districts at the per-zone cap).</summary>
    [Range(1, 100_000_000)]
    public double MaxZoneAreaPerSponsorSquareKm { get; set; } = 1000;

    /// <summary>Largest <c>POST /api/players/login</c> body, bytes (default 4 KiB).</summary>
    [Range(256, 1024 * 1024)]
    public long MaxLoginBodyBytes { get; set; } = 4 * 1024;

    /// <summary>Largest sponsor zone or exclusion zone body, bytes (default 256 KiB: 2,000 vertices fit three times over).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public long MaxZoneBodyBytes { get; set; } = 256 * 1024;

    /// <summary>Largest body of any other request, bytes (default 16 KiB); also Kestrel's server-wide cap.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024;
}

internal sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        var errors = new List<string>();
        foreach (var (key, limit) in new[]
                 {
                     (nameof(options.LoginPerIp), options.LoginPerIp), (nameof(options.SponsorRequests), options.SponsorRequests),
                     (nameof(options.PlayerRequests), options.PlayerRequests), (nameof(options.OperatorRequestsPerIp), options.OperatorRequestsPerIp),
                 })
        {
            if (limit is null || limit.Permits < 1)
            {
                errors.Add($"Limits:{key}:Permits must be at least 1.");
            }
            else if (limit.Window < TimeSpan.FromSeconds(1) || limit.Window > TimeSpan.FromDays(1))
            {
                errors.Add($"Limits:{key}:Window must be between 1 second and 1 day.");
            }
        }

        if (options.FloodWindow < TimeSpan.FromSeconds(1) || options.FloodWindow > TimeSpan.FromHours(1))
        {
            errors.Add("Limits:FloodWindow must be between 1 second and 1 hour.");
        }

        if (options.MaxZoneBodyBytes < options.MaxRequestBodyBytes || options.MaxLoginBodyBytes > options.MaxZoneBodyBytes)
        {
            errors.Add("Limits:MaxZoneBodyBytes must be at least Limits:MaxRequestBodyBytes and Limits:MaxLoginBodyBytes.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
