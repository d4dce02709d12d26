namespace GameBackend.Domain.Spawning;

/// <summary>A creature species of the catalog. <see cref="Id"/> is the stable wire id.</summary>
public sealed record Species(string Id, string Name, Rarity Rarity, string Description);
