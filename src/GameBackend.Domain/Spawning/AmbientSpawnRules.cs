namespace GameBackend.Domain.Spawning;

/// <summary>Tunables of <see cref="AmbientSpawnRules"/> (bound from configuration by the server).</summary>
public sealed record AmbientSpawnOptions
{
    /// <summary>
    /// Ambient creatures a cell holds once filled, per km² (default 120: about 4.8 in a 200 m cell).
    /// </summary>
    public double TargetPerSquareKm { get; init; } = 120;

    /// <summary>
    /// Time constant of refilling: an empty cell gains (1 - e^(-t/FillTime)) of its deficit over t.
    /// The default of 60 s puts the first creature in an empty 200 m cell about 12 s out on average
    /// (over 90 % within 30 s) and about 4.5 creatures there after 3 minutes.
    /// </summary>
    public TimeSpan FillTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an ambient creature stays before it despawns (default 15 min).</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Relative weight of each tier when picking a species (default 60/25/10/4/1).</summary>
    public IReadOnlyDictionary<Rarity, double> RarityMix { get; init; } = new Dictionary<Rarity, double>
    {
        [Rarity.Common] = 60,
        [Rarity.Uncommon] = 25,
        [Rarity.Rare] = 10,
        [Rarity.Epic] = 4,
        [Rarity.Legendary] = 1,
    };

    /// <summary>Every problem with these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!double.IsFinite(TargetPerSquareKm) || TargetPerSquareKm < 0)
        {
            errors.Add($"{nameof(TargetPerSquareKm)} must be a finite number >= 0.");
        }

        if (FillTime <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(FillTime)} must be positive.");
        }

        if (Lifetime <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(Lifetime)} must be positive.");
        }

        if (RarityMix is null || RarityMix.Values.Any(w => !double.IsFinite(w) || w < 0) || !RarityMix.Values.Any(w => w > 0))
        {
            errors.Add($"{nameof(RarityMix)} weights must be finite, >= 0, and not all zero.");
        }

        return errors;
    }
}

/// <summary>
/// Ambient spawning: each cell is topped up towards a density target, faster the emptier it is, so
/// a player arriving in an empty area sees a creature within seconds without cells filling past the
/// target. Pure: the caller passes the cell's area, its live ambient count, the time since the last
/// tick and a seeded <see cref="Random"/>; the same inputs always give the same spawns.
/// </summary>
public sealed class AmbientSpawnRules
{
    private readonly SpeciesCatalog _catalog;
    private readonly (Rarity Rarity, double Weight)[] _tiers;
    private readonly double _totalWeight;

    public AmbientSpawnRules(AmbientSpawnOptions options, SpeciesCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(catalog);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        Options = options;
        _catalog = catalog;

        // Tiers without species cannot be picked; their weight is spread over the rest.
        _tiers = RarityNames.All
            .Where(r => catalog.OfRarity(r).Count > 0 && options.RarityMix.GetValueOrDefault(r) > 0)
            .Select(r => (r, options.RarityMix[r]))
            .ToArray();
        if (_tiers.Length == 0)
        {
            throw new ArgumentException("No tier with a positive weight has any species in the catalog.", nameof(options));
        }

        _totalWeight = _tiers.Sum(t => t.Weight);
    }

    public AmbientSpawnOptions Options { get; }

    /// <summary>Alive ambient creatures a cell of this area is topped up to (fractional).</summary>
    public double TargetFor(double areaSquareKm) => Options.TargetPerSquareKm * Math.Max(0, areaSquareKm);

    /// <summary>
    /// How many creatures to spawn now in a cell of <paramref name="areaSquareKm"/> holding
    /// <paramref name="alive"/> ambient creatures, <paramref name="elapsed"/> after the last tick.
    /// Poisson with mean deficit × (1 - e^(-elapsed/FillTime)); never takes the cell past the
    /// target rounded up.
    /// </summary>
    public int SpawnsDue(double areaSquareKm, int alive, TimeSpan elapsed, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var target = TargetFor(areaSquareKm);
        var deficit = target - Math.Max(0, alive);
        if (deficit <= 0 || elapsed <= TimeSpan.Zero)
        {
            return 0;
        }

        var mean = deficit * -double.ExpM1(-elapsed / Options.FillTime);
        var cap = (int)Math.Ceiling(target) - Math.Max(0, alive);
        return Math.Clamp(Poisson.Sample(mean, random), 0, Math.Max(0, cap));
    }

    /// <summary>A tier drawn from the rarity mix (tiers with no species excluded).</summary>
    public Rarity PickRarity(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var x = random.NextDouble() * _totalWeight;
        foreach (var (rarity, weight) in _tiers)
        {
            if (x < weight)
            {
                return rarity;
            }

            x -= weight;
        }

        return _tiers[^1].Rarity;
    }

    /// <summary>A species: a tier from the rarity mix, then a species of that tier uniformly.</summary>
    public Species PickSpecies(Random random)
    {
        var tier = _catalog.OfRarity(PickRarity(random));
        return tier[random.Next(tier.Count)];
    }

    /// <summary>When a creature spawned at <paramref name="spawnedAt"/> despawns.</summary>
    public DateTimeOffset ExpiresAt(DateTimeOffset spawnedAt) => spawnedAt + Options.Lifetime;
}
