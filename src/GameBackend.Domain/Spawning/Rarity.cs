namespace GameBackend.Domain.Spawning;

/// <summary>How rare a species is. The wire and catalog names are the lowercase member names.</summary>
public enum Rarity
{
    Common,
    Uncommon,
    Rare,
    Epic,
    Legendary,
}

public static class RarityNames
{
    private static readonly string[] Names = ["common", "uncommon", "rare", "epic", "legendary"];

    /// <summary>Every tier, commonest first.</summary>
    public static IReadOnlyList<Rarity> All { get; } = [Rarity.Common, Rarity.Uncommon, Rarity.Rare, Rarity.Epic, Rarity.Legendary];

    /// <summary>The lowercase wire name, e.g. "legendary".</summary>
    public static string ToWire(this Rarity rarity) => Names[(int)rarity];

    /// <summary>Parses a wire name (exact, lowercase). Numbers and other casings are refused.</summary>
    public static bool TryParse(string? text, out Rarity rarity)
    {
        var index = Array.IndexOf(Names, text);
        rarity = index < 0 ? default : (Rarity)index;
        return index >= 0;
    }
}
