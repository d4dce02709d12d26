using GameBackend.Data.History;

namespace GameBackend.Data.Analytics;

/// <summary>
/// Turns "player P was at time T inside zones Z" observations into zone enter/exit events (the
/// Tile38 geofence model), ready for <see cref="HistoryWriter.TryAppend(in ZoneVisitEvent)"/>.
/// A player who goes silent longer than the timeout is closed at the last time they were seen, by
/// <see cref="Sweep"/>. Thread-safe; events go into a caller-owned list to avoid allocating.
/// </summary>
/// <param name="silenceTimeout">Silence after which a player's open visits end at the last sighting.</param>
/// <param name="refreshInterval">
/// While a player stays inside, an open visit's last sighting is written again at most this often
/// (null: never). The stored <c>last_seen_at</c> of a visit open on a live node is then never older
/// than this, which is how the sweep of abandoned visits tells a dead node's visits from live ones,
/// and a visit is billed as soon as its stored dwell reaches the zone's minimum.
/// </param>
public sealed class ZoneVisitTracker(TimeSpan silenceTimeout, TimeSpan? refreshInterval = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PlayerState> _players = new(StringComparer.Ordinal);

    /// <summary>Default silence timeout.</summary>
    public static readonly TimeSpan DefaultSilenceTimeout = TimeSpan.FromMinutes(5);

    public ZoneVisitTracker()
        : this(DefaultSilenceTimeout)
    {
    }

    /// <summary>Number of open visits (all players).</summary>
    public int OpenVisits
    {
        get
        {
            lock (_lock)
            {
                return _players.Values.Sum(p => p.Open.Count);
            }
        }
    }

    /// <summary>
    /// Records a position. Emits an enter event for each zone newly containing the player and an
    /// exit event (exit time = <paramref name="at"/>) for each open zone no longer containing them.
    /// Observations older than the player's last one are ignored (out-of-order delivery).
    /// </summary>
    public void Observe(string playerId, DateTimeOffset at, IReadOnlyCollection<Guid> zonesContaining, List<ZoneVisitEvent> events)
    {
        lock (_lock)
        {
            if (!_players.TryGetValue(playerId, out var state))
            {
                if (zonesContaining.Count == 0)
                {
                    return; // nothing open, nothing entered: keep no state for players outside zones
                }

                state = new PlayerState();
                _players[playerId] = state;
            }

            if (at < state.LastSeen)
            {
                return;
            }

            // A long silence ends the earlier visits where they were last seen, even if the player is
            // back inside: it is a new visit.
            if (state.Open.Count > 0 && at - state.LastSeen > silenceTimeout)
            {
                CloseAll(playerId, state, state.LastSeen, events);
            }

            List<Guid>? exited = null;
            foreach (var (zone, visit) in state.Open)
            {
                if (!zonesContaining.Contains(zone))
                {
                    events.Add(new ZoneVisitEvent(zone, playerId, visit.EnteredAt, at, at));
                    (exited ??= []).Add(zone);
                }
            }

            if (exited is not null)
            {
                foreach (var zone in exited)
                {
                    state.Open.Remove(zone);
                }
            }

            foreach (var zone in zonesContaining)
            {
                if (state.Open.TryGetValue(zone, out var visit))
                {
                    if (refreshInterval is { } every && at - visit.WrittenAt >= every)
                    {
                        events.Add(new ZoneVisitEvent(zone, playerId, visit.EnteredAt, at, null));
                        state.Open[zone] = visit with { WrittenAt = at };
                    }
                }
                else
                {
                    state.Open[zone] = new OpenVisit(at, at);
                    events.Add(new ZoneVisitEvent(zone, playerId, at, at, null));
                }
            }

            state.LastSeen = at;
            if (state.Open.Count == 0)
            {
                _players.Remove(playerId);
            }
        }
    }

    /// <summary>Closes the visits of players silent for longer than the timeout, at their last
    /// sighting. Call periodically (e.g. every 30 s).</summary>
    public void Sweep(DateTimeOffset now, List<ZoneVisitEvent> events)
    {
        lock (_lock)
        {
            List<string>? silent = null;
            foreach (var (player, state) in _players)
            {
                if (now - state.LastSeen > silenceTimeout)
                {
                    CloseAll(player, state, state.LastSeen, events);
                    (silent ??= []).Add(player);
                }
            }

            if (silent is not null)
            {
                foreach (var player in silent)
                {
                    _players.Remove(player);
                }
            }
        }
    }

    /// <summary>Closes every open visit of a player who left (sign-out, disconnect) at their last sighting.</summary>
    public void Forget(string playerId, List<ZoneVisitEvent> events)
    {
        lock (_lock)
        {
            if (_players.Remove(playerId, out var state))
            {
                CloseAll(playerId, state, state.LastSeen, events);
            }
        }
    }

    private static void CloseAll(string playerId, PlayerState state, DateTimeOffset at, List<ZoneVisitEvent> events)
    {
        foreach (var (zone, visit) in state.Open)
        {
            events.Add(new ZoneVisitEvent(zone, playerId, visit.EnteredAt, at, at));
        }

        state.Open.Clear();
    }

    /// <summary>An open visit: when it began and the last sighting written for it.</summary>
    private readonly record struct OpenVisit(DateTimeOffset EnteredAt, DateTimeOffset WrittenAt);

    private sealed class PlayerState
    {
        public Dictionary<Guid, OpenVisit> Open { get; } = [];

        public DateTimeOffset LastSeen { get; set; } = DateTimeOffset.MinValue;
    }
}
