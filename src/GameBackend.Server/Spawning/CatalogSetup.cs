using GameBackend.Domain.Spawning;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Spawning;

internal static class CatalogSetup
{
    /// <summary>The built-in catalog, or the file at <c>Game:Spawning:CatalogPath</c>; a bad file stops start-up with its errors.</summary>
    public static SpeciesCatalog Load(IServiceProvider services)
    {
        var path = services.GetRequiredService<IOptions<SpawnOptions>>().Value.CatalogPath;
        if (string.IsNullOrWhiteSpace(path))
        {
            return SpeciesCatalog.Default;
        }

        using var stream = File.OpenRead(path);
        return SpeciesCatalog.Load(stream);
    }

    public static AmbientSpawnRules AmbientRules(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SpawnOptions>>().Value;
        var mix = new Dictionary<Rarity, double>();
        foreach (var (name, weight) in options.RarityMix)
        {
            if (!RarityNames.TryParse(name, out var rarity))
            {
                throw new OptionsValidationException(SpawnOptions.Section, typeof(SpawnOptions), [$"Unknown rarity '{name}' in RarityMix."]);
            }

            mix[rarity] = weight;
        }

        return new AmbientSpawnRules(
            new AmbientSpawnOptions
            {
                TargetPerSquareKm = options.AmbientPerSquareKm,
                FillTime = options.AmbientFillTime,
                Lifetime = options.CreatureLifetime,
                RarityMix = mix,
            },
            services.GetRequiredService<SpeciesCatalog>());
    }
}
