using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GameBackend.Server.Telemetry;

/// <summary>
/// The game's own instruments (meter <c>GameBackend</c>), exported with the runtime, ASP.NET Core,
/// Orleans and history meters on <c>/metrics</c>. Counters take a <see cref="System.Diagnostics.TagList"/> so the hot
/// path records without allocating.
/// </summary>
public sealed class GameMetrics : IDisposable
{
    public const string MeterName = "GameBackend";

    private readonly Meter _meter;
    private readonly Counter<long> _updates;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _spawns;
    private readonly Counter<long> _captures;
    private long _players;
    private long _cells;

    public GameMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _updates = _meter.CreateCounter<long>("gamebackend.location.updates", "{update}", "Location updates by outcome (accepted or the rejection reason).");
        _connections = _meter.CreateUpDownCounter<long>("gamebackend.players.connected", "{connection}", "Player connections open on this node.");
        _spawns = _meter.CreateCounter<long>("gamebackend.creatures.spawned", "{creature}", "Creatures spawned, by rarity and source.");
        _captures = _meter.CreateCounter<long>("gamebackend.creatures.captured", "{creature}", "Capture races won, by rarity.");
        _meter.CreateObservableGauge("gamebackend.grains.players.active", () => Volatile.Read(ref _players), "{grain}", "Player grains active on this node.");
        _meter.CreateObservableGauge("gamebackend.grains.cells.active", () => Volatile.Read(ref _cells), "{grain}", "Cell grains active on this node.");
    }

    public void LocationUpdate(string? rejectReason) =>
        _updates.Add(1, new TagList { { "outcome", rejectReason ?? "accepted" } });

    public void Connected(int delta) => _connections.Add(delta);

    public void Spawned(string rarity, bool sponsored) =>
        _spawns.Add(1, new TagList { { "rarity", rarity }, { "source", sponsored ? "sponsor" : "ambient" } });

    public void Captured(string rarity) => _captures.Add(1, new TagList { { "rarity", rarity } });

    public void PlayerGrains(int delta) => Interlocked.Add(ref _players, delta);

    public void CellGrains(int delta) => Interlocked.Add(ref _cells, delta);

    public void Dispose() => _meter.Dispose();
}
