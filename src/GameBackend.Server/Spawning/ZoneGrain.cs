using System.Collections.Immutable;
using GameBackend.Domain.Cells;
using GameBackend.Domain.Spawning;
using GameBackend.Server.Creatures;
using GameBackend.Server.Hosting;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Spawning;

/// <summary>
/// One sponsor zone's spawn budget: its rate, its cap on creatures alive at once and its schedule
/// hold across every cell it overlaps. Active cells ask it for spawns on their ticks; it answers
/// with creatures placed uniformly over the whole zone (outside exclusion zones), each tagged
/// with the cell that must own it. A zone no active cell overlaps is never asked, so costs nothing.
/// </summary>
[Alias("GameBackend.IZoneGrain")]
public interface IZoneGrain : IGrainWithStringKey
{
    [Alias("DrawSpawns")]
    Task<ImmutableArray<Creature>> DrawSpawns();

    /// <summary>
    /// The zone's status changed (budget spent or topped up, a new UTC day): re-read the zones on
    /// this grain's node now. Every cell on every node draws this zone's spawns from this one
    /// activation, so this is what stops or resumes the zone everywhere at once.
    /// </summary>
    [Alias("StatusChanged")]
    Task StatusChanged();

    /// <summary>A creature of this zone left the map (expired, captured, excluded).</summary>
    [Alias("Release"), OneWay]
    Task Release(string creatureId);
}

internal sealed class ZoneGrain(WorldCache world, CellGrid grid, GameClock clock, IOptions<SpawnOptions> options) : Grain, IZoneGrain
{
    // Alive creatures with their expiry: a creature whose Release never comes (its cell's node
    // stopped) stops counting against the cap when it would have expired anyway.
    private readonly Dictionary<string, long> _alive = new(StringComparer.Ordinal);
    private Random _random = Random.Shared;
    private long _lastDrawMs;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var seed = options.Value.Seed ?? Random.Shared.Next();
        _random = new Random(HashCode.Combine(seed, StringComparer.Ordinal.GetHashCode(this.GetPrimaryKeyString())));
        _lastDrawMs = clock.NowMs;
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<Creature>> DrawSpawns()
    {
        var now = clock.NowMs;
        var elapsed = TimeSpan.FromMilliseconds(Math.Max(0, now - _lastDrawMs));
        _lastDrawMs = now;
        if (world.FindZone(this.GetPrimaryKeyString()) is not { } cached
            || cached.Status != Data.Billing.ZoneStatus.Active
            || !SpawnZoneRules.IsActive(cached.Zone, clock.UtcNow))
        {
            return Task.FromResult(ImmutableArray<Creature>.Empty);
        }

        var zone = cached.Zone;
        foreach (var (id, expiresAtMs) in _alive)
        {
            if (expiresAtMs <= now)
            {
                _alive.Remove(id);
            }
        }

        var due = SpawnZoneRules.SpawnsDue(zone, _alive.Count, elapsed, _random);
        if (due == 0)
        {
            return Task.FromResult(ImmutableArray<Creature>.Empty);
        }

        var catalog = ServiceProvider.GetRequiredService<SpeciesCatalog>();
        var result = ImmutableArray.CreateBuilder<Creature>(due);
        // Only the exclusions near this zone (the spatial index): all of the world's grew with the world.
        var exclusions = world.ExclusionsOverlapping(cached.Bounds);
        for (var i = 0; i < due; i++)
        {
            if (SpawnZoneRules.RandomPointIn(zone, _random, exclusions) is not { } point)
            {
                break; // The zone is (almost) all excluded: spawn nothing rather than inside an exclusion.
            }

            var speciesId = SpawnZoneRules.PickSpecies(zone, _random);
            var rarity = catalog.TryGet(speciesId, out var species) ? species.Rarity.ToWire() : "common";
            var id = CreatureIds.New(now);
            var expiresAtMs = now + (long)options.Value.CreatureLifetime.TotalMilliseconds;
            result.Add(new Creature(id, speciesId, rarity, point.Latitude, point.Longitude, now, expiresAtMs, grid.CellOf(point).ToString(), zone.Id));
            _alive.Add(id, expiresAtMs);
        }

        return Task.FromResult(result.DrainToImmutable());
    }

    public Task StatusChanged() => world.ReloadAsync(CancellationToken.None);

    public Task Release(string creatureId)
    {
        _alive.Remove(creatureId);
        return Task.CompletedTask;
    }
}
