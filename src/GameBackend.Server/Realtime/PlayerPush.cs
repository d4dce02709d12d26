using GameBackend.Contracts;
using GameBackend.Server.Creatures;
using Microsoft.AspNetCore.SignalR;

namespace GameBackend.Server.Realtime;

/// <summary>
/// Pushes events to one player's connections wherever they are: SignalR routes the player's group
/// locally or, in a cluster, through the Redis backplane, so a grain on node B reaches a phone
/// connected to node A.
/// </summary>
public interface IPlayerPush
{
    Task CreatureSpawned(string playerId, Creature creature);

    Task CreatureDespawned(string playerId, CellEvent cellEvent);

    Task CreatureCaptured(string playerId, CreatureCaptured captured);
}

internal sealed class HubPlayerPush(IHubContext<GameHub> hub) : IPlayerPush
{
    /// <summary>
    /// Each connection joins its player's group on connect. The default lifetime manager answers
    /// <c>Clients.User(id)</c> by scanning every connection on the node; a group is one dictionary
    /// lookup, and the Redis backplane routes groups across nodes just the same.
    /// </summary>
    public static string GroupOf(string playerId) => "p:" + playerId;

    private IClientProxy Player(string playerId) => hub.Clients.Group(GroupOf(playerId));

    public Task CreatureSpawned(string playerId, Creature creature) =>
        Player(playerId).SendAsync(GameEvents.CreatureSpawned, WireMapper.ToSpawned(creature));

    public Task CreatureDespawned(string playerId, CellEvent cellEvent) =>
        Player(playerId).SendAsync(GameEvents.CreatureDespawned, new CreatureDespawned
        {
            CreatureId = cellEvent.Creature.Id,
            CellId = cellEvent.Creature.CellId,
            Reason = cellEvent.Reason ?? DespawnReasons.Expired,
        });

    public Task CreatureCaptured(string playerId, CreatureCaptured captured) =>
        Player(playerId).SendAsync(GameEvents.CreatureCaptured, captured);
}
