using GameBackend.Server.Creatures;

namespace GameBackend.Server.Cells;

/// <summary>
/// Sends a cell's event to every connection that watches the cell: one send per event whatever the
/// number of watchers (implemented at the edge, in <c>Realtime/</c>, with a SignalR group per cell).
/// </summary>
public interface ICellBroadcast
{
    /// <summary>Fire and forget: a slow connection never holds the cell up (SignalR buffers per connection, bounded).</summary>
    void Publish(string cellId, CellEvent cellEvent);
}
