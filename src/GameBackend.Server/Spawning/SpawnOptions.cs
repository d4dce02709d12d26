using System.ComponentModel.DataAnnotations;

namespace GameBackend.Server.Spawning;

/// <summary>Spawn engine settings (section <c>Game:Spawning</c>).</summary>
public sealed class SpawnOptions
{
    public const string Section = "Game:Spawning";

    /// <summary>How often an active cell (one some player watches) runs its spawn/expiry tick.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Creatures alive per km² that ambient spawning fills active cells towards.</summary>
    [Range(0, 10_000)]
    public double AmbientPerSquareKm { get; set; } = 120;

    /// <summary>Time constant of ambient refill: a deficit is made up to ~63 % in this time.</summary>
    public TimeSpan AmbientFillTime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a creature stays on the map (default 15 min).</summary>
    public TimeSpan CreatureLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Rarity mix of ambient spawns, weights by tier.</summary>
    public Dictionary<string, double> RarityMix { get; set; } = new()
    {
        ["common"] = 60, ["uncommon"] = 25, ["rare"] = 10, ["epic"] = 4, ["legendary"] = 1,
    };

    /// <summary>Seed of every cell's random source (mixed with the cell id); unset picks one at start.</summary>
    public int? Seed { get; set; }

    /// <summary>Optional path of a species catalog JSON replacing the built-in one.</summary>
    public string? CatalogPath { get; set; }

    /// <summary>How often each node re-reads sponsor and exclusion zones (changes made on this node apply at once).</summary>
    public TimeSpan ZoneRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Capture settings (section <c>Game:Capture</c>).</summary>
public sealed class CaptureOptions
{
    public const string Section = "Game:Capture";

    /// <summary>How close the player's last accepted position must be, metres (default 50).</summary>
    [Range(1, 1000)]
    public double EncounterRangeMeters { get; set; } = 50;

    /// <summary>Players with this many anti-spoofing strikes or more cannot capture.</summary>
    [Range(1, 100)]
    public int StrikeLimit { get; set; } = 3;
}
