using System.ComponentModel.DataAnnotations;
using GameBackend.Domain.Movement;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Hosting;

/// <summary>Map and view settings (section <c>Game</c>).</summary>
public sealed class WorldOptions
{
    public const string Section = "Game:World";

    /// <summary>Cell edge length in metres (default 200; Pokémon GO's S2 level-15 cells are ~300 m).</summary>
    [Range(50, 5000)]
    public int CellSizeMeters { get; set; } = 200;

    /// <summary>Radius within which a player sees creatures, metres (default 200).</summary>
    [Range(10, 5000)]
    public double VisibilityRadiusMeters { get; set; } = 200;

    /// <summary>How long after its last accepted fix a player still counts as present in its cells.</summary>
    public TimeSpan PresenceTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Anti-spoofing and rate rules (section <c>Game:Movement</c>), see docs/anti-spoofing.md.</summary>
public sealed class MovementOptions
{
    public const string Section = "Game:Movement";

    [Range(1, 1000)]
    public double MaxSpeedMetersPerSecond { get; set; } = 50;

    [Range(0, 1000)]
    public double JitterAllowanceMeters { get; set; } = 25;

    [Range(0, 60)]
    public double MinIntervalSeconds { get; set; } = 1;

    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan StrikeDecay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Per-player location updates per second (default 10); excess is rejected as <c>rateLimited</c>.</summary>
    [Range(0.1, 1000)]
    public double MaxUpdatesPerSecond { get; set; } = 10;

    [Range(1, 10000)]
    public double RateBurst { get; set; } = 10;

    /// <summary>How far back the speed check looks: every kept fix of the window must reach the new one (default 30 s, 0 = last fix only).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan PlausibilityWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Cap on the reported accuracy radii a pair of fixes may add to its allowance, metres (default 100).</summary>
    [Range(0, 10_000)]
    public double MaxAccuracyAllowanceMeters { get; set; } = 100;

    /// <summary>Strikes that ban the player from capturing for <see cref="BanDuration"/> (default 10; 0 = never).</summary>
    [Range(0, 1000)]
    public int BanStrikes { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan BanDuration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a stored trusted position still anchors the speed check after the player's grain was gone (default 6 h).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan TrustedPositionLifetime { get; set; } = TimeSpan.FromHours(6);

    public MovementRules ToRules() => new()
    {
        MaxSpeedMetersPerSecond = MaxSpeedMetersPerSecond,
        JitterAllowanceMeters = JitterAllowanceMeters,
        MinIntervalSeconds = MinIntervalSeconds,
        MaxFutureSkew = MaxFutureSkew,
        StrikeDecay = StrikeDecay,
        MaxUpdatesPerSecond = MaxUpdatesPerSecond,
        RateBurst = RateBurst,
        PlausibilityWindow = PlausibilityWindow,
        MaxAccuracyAllowanceMeters = MaxAccuracyAllowanceMeters,
        BanStrikes = BanStrikes,
        BanDuration = BanDuration,
        TrustedPositionLifetime = TrustedPositionLifetime,
    };
}

/// <summary>Transport limits (section <c>Game:Transport</c>).</summary>
public sealed class TransportOptions
{
    public const string Section = "Game:Transport";

    /// <summary>Largest hub message accepted, bytes (default 8 KiB); a larger one closes that connection with an error.</summary>
    [Range(512, 1024 * 1024)]
    public long MaxMessageBytes { get; set; } = 8 * 1024;

    /// <summary>Outgoing messages buffered per connection before a slow client is dropped (bytes).</summary>
    [Range(4096, 64 * 1024 * 1024)]
    public long MaxOutgoingBufferBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Location fixes of one connection that may wait for their turn (they are applied one at a
    /// time, in order); one more is answered <c>rateLimited</c> at once. Bounded so that a burst
    /// never takes every invocation slot: throws and queries keep four of their own.
    /// </summary>
    [Range(1, 64)]
    public int MaxQueuedUpdates { get; set; } = 4;

    /// <summary>
    /// Most client connections this node holds at once; 0 derives the cap from the process's
    /// open-file limit (leaving room for the runtime's own descriptors). Beyond it, new connections
    /// are turned away (503) while existing ones keep playing.
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxConnections { get; set; }

    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan ClientTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Cluster settings (section <c>Cluster</c>).</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary><c>Localhost</c> (default: one node, no services) or <c>Redis</c>.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.Localhost;

    /// <summary>Orleans cluster id; nodes with the same id form one cluster.</summary>
    [Required]
    public string ClusterId { get; set; } = "gamebackend";

    /// <summary>Orleans service id; stable across deployments.</summary>
    [Required]
    public string ServiceId { get; set; } = "gamebackend";

    /// <summary>Silo-to-silo port (0 picks a free one).</summary>
    [Range(0, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Orleans gateway port (0 picks a free one).</summary>
    [Range(0, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Address advertised to other silos (default loopback).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";
}

public enum ClusterMode
{
    Localhost,
    Redis,
}

internal sealed class ClusterOptionsValidator(IConfiguration configuration) : IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        if (options.Mode == ClusterMode.Redis && string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis")))
        {
            return ValidateOptionsResult.Fail("Cluster:Mode is Redis but ConnectionStrings:Redis is not set.");
        }

        return ValidateOptionsResult.Success;
    }
}
