using System.Collections.Immutable;
using GameBackend.Domain.Geo;
using GameBackend.Server.Cells;
using GameBackend.Server.Creatures;

namespace GameBackend.Server.Players;

/// <summary>
/// What one player sees: the cells it watches, each with this node's replica of the cell's
/// creatures, and the creatures near its last fix with the version a connection echoes. No
/// messaging and no timers: the player grain calls the cells and hands the outcome here, so the
/// rules (which creatures are near, when the nearby set changed, what a throw at a vanished
/// creature is told) live in one place the grain only orchestrates.
/// </summary>
internal sealed class PlayerView(double visibilityRadiusMeters)
{
    private readonly Dictionary<string, (CellInterest Interest, CellReplica Replica)> _cells = new(StringComparer.Ordinal);
    // The nearby set of the last fix. Versions start at a random point so that a connection that
    // knew a previous activation's version cannot mistake a new set for its old one.
    private readonly HashSet<string> _nearbyIds = new(StringComparer.Ordinal);
    private readonly List<(Creature Creature, double Distance)> _nearby = [];

    /// <summary>The watched cell ids, sorted; as of the last <see cref="Commit"/>.</summary>
    public ImmutableArray<string> Cells { get; private set; } = [];

    /// <summary>Changes whenever <see cref="Cells"/> does (a connection joins the cell groups of a new version).</summary>
    public long Version { get; private set; }

    public long NearbyVersion { get; private set; } = Random.Shared.NextInt64(1, long.MaxValue / 2);

    public int Count => _cells.Count;

    /// <summary>The creatures near the last fix given to <see cref="Look"/>, with their distances.</summary>
    public IReadOnlyList<(Creature Creature, double Distance)> Nearby => _nearby;

    public IEnumerable<string> CellIds => _cells.Keys;

    public IEnumerable<(string CellId, CellInterest Interest, CellReplica Replica)> Entries =>
        _cells.Select(static c => (c.Key, c.Value.Interest, c.Value.Replica));

    public bool TryGet(string cellId, out CellInterest interest, out CellReplica replica)
    {
        var found = _cells.TryGetValue(cellId, out var entry);
        (interest, replica) = entry;
        return found;
    }

    public void Set(string cellId, CellInterest interest, CellReplica replica) => _cells[cellId] = (interest, replica);

    public void Remove(string cellId) => _cells.Remove(cellId);

    /// <summary>The cells of the view that are not in <paramref name="wanted"/>.</summary>
    public List<(string CellId, CellReplica Replica)> Outside(IReadOnlyDictionary<string, CellInterest> wanted) =>
        [.. _cells.Where(c => !wanted.ContainsKey(c.Key)).Select(static c => (c.Key, c.Value.Replica))];

    /// <summary>Publishes the cell set after a change: a new <see cref="Version"/>.</summary>
    public void Commit()
    {
        Cells = [.. _cells.Keys.Order(StringComparer.Ordinal)];
        Version++;
    }

    /// <summary>Forgets every cell; returns their replicas for the caller to release.</summary>
    public List<CellReplica> Clear()
    {
        var replicas = _cells.Values.Select(static c => c.Replica).ToList();
        _cells.Clear();
        Cells = [];
        Version++;
        return replicas;
    }

    /// <summary>Scans the view around <paramref name="position"/>; true when the nearby set differs from the last fix's (its version moves).</summary>
    public bool Look(GeoPoint position, long nowMs)
    {
        Scan(position, nowMs, _nearby);
        if (SameAsLast())
        {
            return false;
        }

        NearbyVersion++;
        _nearbyIds.Clear();
        foreach (var (creature, _) in _nearby)
        {
            _nearbyIds.Add(creature.Id);
        }

        return true;
    }

    /// <summary>The list of the last <see cref="Look"/>, nearest first, with bearings from <paramref name="position"/>.</summary>
    public ImmutableArray<NearbyView> NearbyViews(GeoPoint position) => ToViews(position, _nearby);

    /// <summary>What is near <paramref name="position"/> now, without changing the nearby set (a query, not a fix).</summary>
    public ImmutableArray<NearbyView> Around(GeoPoint position, long nowMs)
    {
        var found = new List<(Creature, double)>();
        Scan(position, nowMs, found);
        return ToViews(position, found);
    }

    public Creature? Find(string creatureId)
    {
        foreach (var (_, replica) in _cells.Values)
        {
            if (replica.TryFind(creatureId, out var creature))
            {
                return creature;
            }
        }

        return null;
    }

    /// <summary>The clear answer a watched cell gave every node for a creature that left it (captured, expired, excluded).</summary>
    public bool TryGone(string creatureId, out CaptureVerdict verdict)
    {
        foreach (var (_, replica) in _cells.Values)
        {
            if (replica.TryGone(creatureId, out verdict))
            {
                return true;
            }
        }

        verdict = default!;
        return false;
    }

    /// <summary>Creatures of the view's replicas within the visibility radius, alive at <paramref name="nowMs"/>, into <paramref name="found"/>.</summary>
    private void Scan(GeoPoint position, long nowMs, List<(Creature Creature, double Distance)> found)
    {
        found.Clear();
        var radius = visibilityRadiusMeters;
        // The view's cells hold a few dozen to a few hundred creatures: most are rejected by the box
        // without trigonometry (the scan was the grain's hottest code in the profile).
        var box = new RadiusBox(position, radius);
        foreach (var (_, replica) in _cells.Values)
        {
            foreach (var creature in replica.Creatures)
            {
                if (creature.ExpiresAtMs <= nowMs || !box.MayContain(creature.Latitude, creature.Longitude))
                {
                    continue;
                }

                var distance = GeoMath.DistanceMeters(position, creature.Position);
                if (distance <= radius)
                {
                    found.Add((creature, distance));
                }
            }
        }
    }

    private bool SameAsLast()
    {
        if (_nearby.Count != _nearbyIds.Count)
        {
            return false;
        }

        foreach (var (creature, _) in _nearby)
        {
            if (!_nearbyIds.Contains(creature.Id))
            {
                return false;
            }
        }

        return true;
    }

    private static ImmutableArray<NearbyView> ToViews(GeoPoint position, List<(Creature Creature, double Distance)> found)
    {
        if (found.Count == 0)
        {
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<NearbyView>(found.Count);
        foreach (var (creature, distance) in found)
        {
            builder.Add(new NearbyView(creature, distance, GeoMath.InitialBearingDegrees(position, creature.Position)));
        }

        builder.Sort(static (a, b) => a.DistanceMeters.CompareTo(b.DistanceMeters));
        return builder.MoveToImmutable();
    }
}
