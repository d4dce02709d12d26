using GameBackend.Contracts;
using GameBackend.Server.Cells;
using GameBackend.Server.Creatures;
using Microsoft.AspNetCore.SignalR;

namespace GameBackend.Server.Realtime;

/// <summary>
/// A SignalR group per cell: a connection joins the groups of its player's view when an ack shows the
/// view changed (<see cref="GameHub"/>), and a cell event is one group send — serialised once per
/// protocol and written to each member locally, or published once to Redis in a cluster, where each
/// node writes it to its own members.
/// </summary>
internal sealed partial class CellGroups(IHubContext<GameHub> hub, ILogger<CellGroups> logger) : ICellBroadcast
{
    public static string GroupOf(string cellId) => "c:" + cellId;

    public void Publish(string cellId, CellEvent cellEvent)
    {
        var group = hub.Clients.Group(GroupOf(cellId));
        var creature = cellEvent.Creature;
        switch (cellEvent.Kind)
        {
            case CellEventKind.Spawned:
                Observe(group.SendAsync(GameEvents.CreatureSpawned, WireMapper.ToSpawned(creature)), cellId);
                break;
            case CellEventKind.Despawned:
                if (cellEvent.Reason == DespawnReasons.Captured && cellEvent.WinnerPlayerId is { } winner)
                {
                    Observe(group.SendAsync(GameEvents.CreatureCaptured, new CreatureCaptured
                    {
                        CreatureId = creature.Id,
                        Species = creature.Species,
                        WinnerPlayerId = winner,
                        CapturedAt = cellEvent.AtMs,
                        CellId = creature.CellId,
                    }), cellId);
                }

                Observe(group.SendAsync(GameEvents.CreatureDespawned, new CreatureDespawned
                {
                    CreatureId = creature.Id,
                    CellId = creature.CellId,
                    Reason = cellEvent.Reason ?? DespawnReasons.Expired,
                }), cellId);
                break;
        }
    }

    private void Observe(Task send, string cellId)
    {
        if (!send.IsCompletedSuccessfully)
        {
            _ = ObserveSlow(send, cellId);
        }
    }

    private async Task ObserveSlow(Task send, string cellId)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A backplane hiccup loses a push, never the state: the next ack carries the nearby list.
            LogSendFailed(logger, cellId, ex.Message);
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Push to the watchers of cell {CellId} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, string cellId, string error);
}
