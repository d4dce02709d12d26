using System.Collections.Concurrent;
using GameBackend.Server.Creatures;

namespace GameBackend.Server.Operators;

/// <summary>
/// This node's live picture for the operator map: the latest position of each player whose
/// grain lives here and the creatures of this node's cells. Recording is skipped entirely while
/// no operator watches, so the location hot path pays nothing for it by default.
/// </summary>
public sealed class LiveMap
{
    private readonly ConcurrentDictionary<string, LivePlayer> _players = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Creature> _creatures = new(StringComparer.Ordinal);
    private int _watchers;

    public bool Watched => Volatile.Read(ref _watchers) > 0;

    public void Watch(int delta)
    {
        if (Interlocked.Add(ref _watchers, delta) <= 0)
        {
            _players.Clear();
            _creatures.Clear();
        }
    }

    public void PlayerMoved(string playerId, double latitude, double longitude, double? heading, long atMs)
    {
        if (Watched)
        {
            _players[playerId] = new LivePlayer(playerId, latitude, longitude, heading, atMs);
        }
    }

    public void PlayerLeft(string playerId) => _players.TryRemove(playerId, out _);

    public void CreatureSpawned(Creature creature)
    {
        if (Watched)
        {
            _creatures[creature.Id] = creature;
        }
    }

    public void CreatureGone(string creatureId) => _creatures.TryRemove(creatureId, out _);

    /// <summary>A snapshot; players silent for longer than <paramref name="staleAfterMs"/> and expired creatures are dropped.</summary>
    public (List<LivePlayer> Players, List<Creature> Creatures) Snapshot(long nowMs, long staleAfterMs)
    {
        var players = new List<LivePlayer>(_players.Count);
        foreach (var (id, p) in _players)
        {
            if (nowMs - p.UpdatedAt > staleAfterMs)
            {
                _players.TryRemove(id, out _);
            }
            else
            {
                players.Add(p);
            }
        }

        var creatures = new List<Creature>(_creatures.Count);
        foreach (var (id, c) in _creatures)
        {
            if (c.ExpiresAtMs <= nowMs)
            {
                _creatures.TryRemove(id, out _);
            }
            else
            {
                creatures.Add(c);
            }
        }

        return (players, creatures);
    }
}

/// <summary>A player dot on the operator map.</summary>
public readonly record struct LivePlayer(string PlayerId, double Latitude, double Longitude, double? Heading, long UpdatedAt);
