using GameBackend.Contracts;
using GameBackend.Server.Creatures;
using Microsoft.AspNetCore.SignalR;

namespace GameBackend.Server.Realtime;

/// <summary>
/// Pushes events to one player's connections wherever they are: SignalR routes
/// <c>Clients.User(playerId)</c> locally or, in a cluster, through the Redis backplane, so a grain
/// on node B reaches a phone connected to node A.
/// </summary>
public interface IPlayerPush
{
    Task CreatureSpawned(string playerId, Creature creature);

    Task CreatureDespawned(string playerId, CellEvent cellEvent);

    Task CreatureCaptured(string playerId, CreatureCaptured captured);
}

internal sealed class HubPlayerPush(IHubContext<GameHub> hub) : IPlayerPush
{
    public Task CreatureSpawned(string playerId, Creature creature) =>
        hub.Clients.User(playerId).SendAsync(GameEvents.CreatureSpawned, WireMapper.ToSpawned(creature));

    public Task CreatureDespawned(string playerId, CellEvent cellEvent) =>
        hub.Clients.User(playerId).SendAsync(GameEvents.CreatureDespawned, new CreatureDespawned
        {
            CreatureId = cellEvent.Creature.Id,
            CellId = cellEvent.Creature.CellId,
            Reason = cellEvent.Reason ?? DespawnReasons.Expired,
        });

    public Task CreatureCaptured(string playerId, CreatureCaptured captured) =>
        hub.Clients.User(playerId).SendAsync(GameEvents.CreatureCaptured, captured);
}
