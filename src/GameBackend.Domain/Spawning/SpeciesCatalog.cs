using System.Text.Json;

namespace GameBackend.Domain.Spawning;

/// <summary>
/// The species the game knows and the catch probability of each rarity tier. Loaded once from JSON
/// (the default ships embedded as <c>Spawning/species.json</c>) and immutable afterwards.
/// </summary>
public sealed class SpeciesCatalog
{
    private static readonly Lazy<SpeciesCatalog> DefaultCatalog = new(LoadDefault);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly Dictionary<string, Species> _byId;
    private readonly Species[][] _byRarity;
    private readonly double[] _catchProbability;

    private SpeciesCatalog(IReadOnlyList<Species> species, double[] catchProbability)
    {
        Species = species;
        _byId = species.ToDictionary(s => s.Id, StringComparer.Ordinal);
        _byRarity = RarityNames.All.Select(r => species.Where(s => s.Rarity == r).ToArray()).ToArray();
        _catchProbability = catchProbability;
    }

    /// <summary>The catalog embedded in this assembly.</summary>
    public static SpeciesCatalog Default => DefaultCatalog.Value;

    /// <summary>All species in catalog order.</summary>
    public IReadOnlyList<Species> Species { get; }

    public bool TryGet(string id, out Species species) => _byId.TryGetValue(id, out species!);

    /// <summary>The species of one tier (possibly none).</summary>
    public IReadOnlyList<Species> OfRarity(Rarity rarity) => _byRarity[(int)rarity];

    /// <summary>Probability in (0, 1] that one catch attempt on a creature of this tier succeeds.</summary>
    public double CatchProbability(Rarity rarity) => _catchProbability[(int)rarity];

    /// <summary>Reads and validates a catalog. Throws <see cref="SpeciesCatalogException"/> listing every problem found.</summary>
    public static SpeciesCatalog Load(Stream json)
    {
        ArgumentNullException.ThrowIfNull(json);
        CatalogDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<CatalogDocument>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new SpeciesCatalogException([$"not valid catalog JSON: {ex.Message}"], ex);
        }

        var errors = new List<string>();
        var species = new List<Species>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (document?.Species is not { Count: > 0 } entries)
        {
            errors.Add("'species' is missing or empty");
            entries = [];
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var where = $"species[{i}]" + (string.IsNullOrWhiteSpace(e?.Id) ? string.Empty : $" '{e.Id}'");
            if (e is null)
            {
                errors.Add($"{where} is null");
                continue;
            }

            if (string.IsNullOrWhiteSpace(e.Id))
            {
                errors.Add($"{where} has no id");
            }
            else if (!seen.Add(e.Id))
            {
                errors.Add($"{where}: duplicate id '{e.Id}'");
            }

            if (string.IsNullOrWhiteSpace(e.Name))
            {
                errors.Add($"{where} has no name");
            }

            if (!RarityNames.TryParse(e.Rarity, out var rarity))
            {
                errors.Add($"{where}: unknown rarity '{e.Rarity}' (expected one of {string.Join(", ", RarityNames.All.Select(r => r.ToWire()))})");
            }

            species.Add(new Species(e.Id ?? string.Empty, e.Name ?? string.Empty, rarity, e.Description ?? string.Empty));
        }

        var probabilities = new double[RarityNames.All.Count];
        if (document?.CatchProbability is not { } table)
        {
            errors.Add("'catchProbability' is missing");
            table = [];
        }

        foreach (var (name, p) in table)
        {
            if (!RarityNames.TryParse(name, out var rarity))
            {
                errors.Add($"catchProbability: unknown rarity '{name}'");
            }
            else if (!double.IsFinite(p) || p <= 0 || p > 1)
            {
                errors.Add($"catchProbability '{name}' is {p}; it must be in (0, 1]");
            }
            else
            {
                probabilities[(int)rarity] = p;
            }
        }

        foreach (var rarity in RarityNames.All)
        {
            if (!table.ContainsKey(rarity.ToWire()))
            {
                errors.Add($"catchProbability has no entry for '{rarity.ToWire()}'");
            }
        }

        if (errors.Count > 0)
        {
            throw new SpeciesCatalogException(errors);
        }

        return new SpeciesCatalog(species, probabilities);
    }

    private static SpeciesCatalog LoadDefault()
    {
        using var stream = typeof(SpeciesCatalog).Assembly.GetManifestResourceStream("GameBackend.Domain.Spawning.species.json")
            ?? throw new InvalidOperationException("The embedded species catalog is missing.");
        return Load(stream);
    }

    private sealed class CatalogDocument
    {
        public List<SpeciesEntry?>? Species { get; set; }

        public Dictionary<string, double>? CatchProbability { get; set; }
    }

    private sealed class SpeciesEntry
    {
        public string? Id { get; set; }

        public string? Name { get; set; }

        public string? Rarity { get; set; }

        public string? Description { get; set; }
    }
}

/// <summary>A species catalog failed validation; <see cref="Errors"/> lists every problem.</summary>
public sealed class SpeciesCatalogException : Exception
{
    public SpeciesCatalogException(IReadOnlyList<string> errors, Exception? inner = null)
        : base("Invalid species catalog: " + string.Join("; ", errors), inner)
    {
        Errors = errors;
    }

    public SpeciesCatalogException()
        : this([])
    {
    }

    public SpeciesCatalogException(string message)
        : this([message])
    {
    }

    public SpeciesCatalogException(string message, Exception inner)
        : this([message], inner)
    {
    }

    public IReadOnlyList<string> Errors { get; }
}
