using GameBackend.Domain.Spawning;

namespace GameBackend.Server.Spawning;

/// <summary><c>GET /api/species</c>: the creature catalog and catch probabilities.</summary>
public static class SpeciesApi
{
    public static IEndpointRouteBuilder MapSpeciesApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/species", (SpeciesCatalog catalog) => TypedResults.Ok(new SpeciesList(
                [.. catalog.Species.Select(s => new SpeciesEntry(s.Id, s.Name, s.Rarity.ToWire(), s.Description, catalog.CatchProbability(s.Rarity)))])))
            .WithName("ListSpecies")
            .WithTags("Species")
            .WithSummary("Lists every creature species with its rarity tier and catch probability.")
            .AllowAnonymous();
        return endpoints;
    }
}

/// <summary>The species catalog.</summary>
public sealed record SpeciesList(IReadOnlyList<SpeciesEntry> Species);

/// <summary>One species: id, display name, rarity tier and the chance one throw catches it.</summary>
public sealed record SpeciesEntry(string Id, string Name, string Rarity, string Description, double CatchProbability);
