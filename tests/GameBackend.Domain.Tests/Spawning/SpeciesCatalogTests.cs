using System.Text;
using GameBackend.Domain.Spawning;

namespace GameBackend.Domain.Tests.Spawning;

public sealed class SpeciesCatalogTests
{
    private const string Probabilities = """{"common":0.9,"uncommon":0.7,"rare":0.45,"epic":0.25,"legendary":0.1}""";

    private static SpeciesCatalog Load(string json) => SpeciesCatalog.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    private static SpeciesCatalogException Fails(string json) => Assert.Throws<SpeciesCatalogException>(() => Load(json));

    [Fact]
    public void The_default_catalog_loads_and_covers_every_tier()
    {
        var catalog = SpeciesCatalog.Default;
        Assert.InRange(catalog.Species.Count, 20, 30);
        foreach (var rarity in RarityNames.All)
        {
            Assert.NotEmpty(catalog.OfRarity(rarity));
        }

        Assert.True(catalog.OfRarity(Rarity.Common).Count > catalog.OfRarity(Rarity.Rare).Count);
        Assert.True(catalog.TryGet("emberkit", out var emberkit));
        Assert.Equal("Emberkit", emberkit.Name);
        Assert.Equal(Rarity.Common, emberkit.Rarity);
        Assert.False(catalog.TryGet("Emberkit", out _));
        Assert.Equal(0.9, catalog.CatchProbability(Rarity.Common));
        Assert.Equal(0.1, catalog.CatchProbability(Rarity.Legendary));
        Assert.All(catalog.Species, s =>
        {
            Assert.Matches("^[a-z][a-z0-9-]*$", s.Id);
            Assert.False(string.IsNullOrWhiteSpace(s.Name));
            Assert.False(string.IsNullOrWhiteSpace(s.Description));
        });
    }

    [Fact]
    public void A_minimal_catalog_loads()
    {
        var catalog = Load($$"""
            {"species":[{"id":"a","name":"A","rarity":"rare","description":"x"}], "catchProbability": {{Probabilities}} }
            """);
        Assert.Single(catalog.Species);
        Assert.Equal(Rarity.Rare, catalog.Species[0].Rarity);
        Assert.Empty(catalog.OfRarity(Rarity.Common));
    }

    [Fact]
    public void An_unknown_rarity_is_named()
    {
        var ex = Fails($$"""{"species":[{"id":"a","name":"A","rarity":"mythic"}], "catchProbability": {{Probabilities}} }""");
        Assert.Contains(ex.Errors, e => e.Contains("species[0] 'a'") && e.Contains("unknown rarity 'mythic'"));
    }

    [Fact]
    public void Rarity_names_are_exact_lowercase()
    {
        var ex = Fails($$"""{"species":[{"id":"a","name":"A","rarity":"Common"},{"id":"b","name":"B","rarity":"0"}], "catchProbability": {{Probabilities}} }""");
        Assert.Equal(2, ex.Errors.Count);
        Assert.True(RarityNames.TryParse("legendary", out var legendary));
        Assert.Equal(Rarity.Legendary, legendary);
        Assert.Equal("uncommon", Rarity.Uncommon.ToWire());
    }

    [Fact]
    public void Duplicate_ids_are_named()
    {
        var ex = Fails($$"""
            {"species":[{"id":"a","name":"A","rarity":"common"},{"id":"b","name":"B","rarity":"common"},{"id":"a","name":"A2","rarity":"rare"}],
             "catchProbability": {{Probabilities}} }
            """);
        Assert.Contains(ex.Errors, e => e.Contains("species[2]") && e.Contains("duplicate id 'a'"));
        Assert.Single(ex.Errors);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0.1")]
    [InlineData("1.0001")]
    [InlineData("2")]
    public void Probabilities_outside_0_to_1_are_refused(string p)
    {
        var ex = Fails($$"""
            {"species":[{"id":"a","name":"A","rarity":"common"}],
             "catchProbability": {"common":{{p}},"uncommon":0.7,"rare":0.45,"epic":0.25,"legendary":0.1} }
            """);
        Assert.Contains(ex.Errors, e => e.Contains("catchProbability 'common'") && e.Contains("(0, 1]"));
    }

    [Fact]
    public void A_probability_of_exactly_one_is_allowed()
    {
        var catalog = Load("""
            {"species":[{"id":"a","name":"A","rarity":"common"}],
             "catchProbability": {"common":1,"uncommon":1,"rare":1,"epic":1,"legendary":1} }
            """);
        Assert.Equal(1.0, catalog.CatchProbability(Rarity.Epic));
    }

    [Fact]
    public void Missing_and_unknown_probability_tiers_are_named()
    {
        var ex = Fails("""
            {"species":[{"id":"a","name":"A","rarity":"common"}],
             "catchProbability": {"common":0.9,"uncommon":0.7,"rare":0.45,"epic":0.25,"mythic":0.1} }
            """);
        Assert.Contains(ex.Errors, e => e.Contains("unknown rarity 'mythic'"));
        Assert.Contains(ex.Errors, e => e.Contains("no entry for 'legendary'"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"species":"x"}""")]
    [InlineData("""{"catchProbability":{"common":"high"}}""")]
    public void Malformed_json_fails_with_a_catalog_error(string json)
    {
        var ex = Fails(json);
        Assert.NotEmpty(ex.Errors);
        Assert.StartsWith("Invalid species catalog", ex.Message);
    }

    [Fact]
    public void Missing_sections_and_fields_are_all_reported_at_once()
    {
        var ex = Fails("""{"species":[{"id":"","name":"","rarity":"common"}, null]}""");
        Assert.Contains(ex.Errors, e => e.Contains("has no id"));
        Assert.Contains(ex.Errors, e => e.Contains("has no name"));
        Assert.Contains(ex.Errors, e => e.Contains("species[1] is null"));
        Assert.Contains(ex.Errors, e => e.Contains("'catchProbability' is missing"));
        Assert.Contains("'species' is missing or empty", Fails($$"""{"species":[], "catchProbability": {{Probabilities}} }""").Errors);
    }
}
