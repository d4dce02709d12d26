using System.Collections.Immutable;
using GameBackend.Server.Creatures;
using GameBackend.Server.Players;

namespace GameBackend.Server.Cells;

/// <inheritdoc cref="ICellGrain"/>
internal sealed partial class CellGrain(ILogger<CellGrain> logger) : Grain, ICellGrain
{
    private readonly Dictionary<string, CellInterest> _interest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Creature> _creatures = new(StringComparer.Ordinal);

    private string CellId => this.GetPrimaryKeyString();

    public Task<ImmutableArray<Creature>> SetInterest(string playerId, CellInterest interest)
    {
        var wasWatching = _interest.ContainsKey(playerId);
        if (interest == CellInterest.None)
        {
            _interest.Remove(playerId);
            return Task.FromResult(ImmutableArray<Creature>.Empty);
        }

        _interest[playerId] = interest;
        if (!wasWatching)
        {
            LogWatch(logger, CellId, playerId, _interest.Count);
        }

        return Task.FromResult(wasWatching ? ImmutableArray<Creature>.Empty : [.. _creatures.Values]);
    }

    public Task<CellSnapshot> GetSnapshot()
    {
        var present = _interest.Where(p => p.Value == CellInterest.Present).Select(p => p.Key).Order(StringComparer.Ordinal);
        return Task.FromResult(new CellSnapshot(CellId, [.. present], _interest.Count, [.. _creatures.Values]));
    }

    /// <summary>Tells every watching player; one-way calls so a slow player never holds the cell up.</summary>
    private void Publish(CellEvent cellEvent)
    {
        foreach (var playerId in _interest.Keys)
        {
            GrainFactory.GetGrain<IPlayerGrain>(playerId).OnCellEvent(CellId, cellEvent);
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Cell {CellId}: player {PlayerId} watching ({Watchers} watchers)")]
    private static partial void LogWatch(ILogger logger, string cellId, string playerId, int watchers);
}
