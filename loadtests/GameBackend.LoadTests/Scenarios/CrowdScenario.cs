using GameBackend.Contracts;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>
/// A festival: <see cref="LoadTestOptions.Connections"/> players (5,000 by default) mill about a square of
/// <see cref="LoadTestOptions.AreaMeters"/> (~4 cells of 200 m) at <see cref="LoadTestOptions.Rate"/> updates/s
/// in total (1 per player per second by default). Every player watches the same few cells, so each spawn is
/// pushed to thousands of watchers. With <see cref="LoadTestOptions.CaptureProbability"/> after an accepted fix a
/// player throws at a creature the acks or pushes showed within <see cref="LoadTestOptions.CaptureRangeMeters"/>.
/// Steps: <c>ack</c> (timed from the intended send), <c>throw</c>, <c>push</c> (spawn → receipt, per watcher;
/// duplicates fail as <c>duplicate</c>) and <c>recovery</c> after a connection loss.
/// </summary>
public static class CrowdScenario
{
    /// <summary>Ack step: the update's latency from its intended send.</summary>
    public const string AckStep = "ack";

    /// <summary>Throw step.</summary>
    public const string ThrowStep = "throw";

    /// <summary>Status of a push for a creature this player had already been told about.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>Creates the scenario.</summary>
    public static ScenarioProps Create(LoadTestOptions options, string name = "crowd")
    {
        var players = Array.Empty<Player>();
        var visitors = Array.Empty<Visitor>();
        var reconnects = new ReconnectStats();
        var duplicates = new long[1];
        ScenarioInitContext? initContext = null;

        return Scenario.Create(name, async ctx =>
            {
                var index = (int)(ctx.InvocationNumber % players.Length);
                var player = players[index];
                var visitor = visitors[index];
                if (player.Reconnecting)
                {
                    return Response.Fail(Reconnector.OutageStatus);
                }

                Task<Completion> pending;
                RawHubConnection connection;
                int sent;
                lock (visitor)
                {
                    var fix = visitor.Walker.Next(ctx.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds());
                    visitor.Position = (fix.Latitude, fix.Longitude);
                    var buffer = GamePayloads.ScratchBuffer;
                    GamePayloads.WriteLocationUpdate(options.Protocol, buffer, fix);
                    sent = buffer.WrittenCount;
                    connection = player.Connection;
                    pending = connection.InvokeAsync(HubMethods.UpdateLocation, buffer.WrittenSpan, 1, ctx.CancellationToken);
                }

                var ack = await Step.RunFromIntendedStart(AckStep, ctx, async () =>
                {
                    Completion completion;
                    try
                    {
                        completion = await pending;
                    }
                    catch (HubConnectionClosedException ex)
                    {
                        return WalkersScenario.Outage(ex, sent);
                    }

                    if (completion.IsError)
                    {
                        return Response.Fail(WalkersScenario.HubError, completion.Error, completion.FrameBytes, sent);
                    }

                    // A list replaces the kept one; no list means "unchanged" (ack.nearby ?? previous).
                    bool accepted;
                    string? reason;
                    lock (visitor.Nearby)
                    {
                        (accepted, reason, _) = GamePayloads.ReadAck(options.Protocol, completion.Result, visitor.Nearby);
                    }

                    if (!accepted)
                    {
                        return Response.Fail(reason ?? "rejected", reason, completion.FrameBytes, sent);
                    }

                    player.Accepted(connection, initContext, ctx.TimeProvider);
                    return Response.Ok("accepted", completion.FrameBytes, sent);
                });
                if (ack.IsError || ctx.Random.NextDouble() >= options.CaptureProbability)
                {
                    return ack;
                }

                var target = visitor.PickTarget(options.CaptureRangeMeters);
                if (target is null)
                {
                    return ack;
                }

                var thrown = await ThrowAsync(options, ctx, player, target, ThrowStep);
                return thrown.IsError ? thrown : ack;
            })
            .WithInit(async init =>
            {
                initContext = init;
                var seqBase = Players.SeqBase(init.TimeProvider);
                visitors = Enumerable.Range(0, options.Connections)
                    .Select(i => new Visitor(new FestivalWalker(Seeds.Combine(init.Seed, i), options.Centre, options.AreaMeters, seqBase), options.CaptureRangeMeters))
                    .ToArray();
                players = await Players.ConnectAsync(options, options.Connections, name, init.CancellationToken,
                    p => WatchPushes(options, init, p, visitors[p.Index], ScenarioThresholds.PushStep, duplicates));
                foreach (var p in players)
                {
                    Reconnector.Watch(p, options, init, reconnects);
                }
            })
            .WithClean(async init =>
            {
                await Players.DisposeAsync(players);
                init.Metrics["push duplicates"] = $"{Volatile.Read(ref duplicates[0])} (same creatureId pushed twice to one player, measured window)";
                reconnects.Report(init);
            })
            .WithWarmUpDuration(options.WarmUp)
            .WithMaxInFlight(options.MaxInFlight)
            .WithLoadSimulations(Simulation.Inject(options.Rate, TimeSpan.FromSeconds(1), options.Duration))
            .WithThresholds(ScenarioThresholds.For(options, ackTarget: true, ackStep: AckStep, pushTarget: true));
    }

    /// <summary>
    /// Records every <c>creatureSpawned</c> push as the <paramref name="pushStep"/> step: latency from the server's
    /// <c>spawnedAt</c> (Unix ms, same machine clock) to receipt; a creature pushed twice to the same player
    /// fails as <see cref="Duplicate"/>. Pushes close enough to throw at become capture candidates.
    /// </summary>
    internal static void WatchPushes(LoadTestOptions options, ScenarioInitContext init, Player player, Visitor visitor, string pushStep, long[] duplicates)
    {
        var clock = init.TimeProvider;
        player.Connection.OnEvent = (target, args) =>
        {
            if (target != GameEvents.CreatureSpawned || !GamePayloads.TryReadSpawned(options.Protocol, args, visitor.WantId, out var push))
            {
                return;
            }

            // spawnedAt has millisecond resolution: latencies carry ±1 ms of rounding.
            var latency = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(push.SpawnedAt);
            if (latency < TimeSpan.Zero)
            {
                latency = TimeSpan.Zero;
            }

            if (!visitor.FirstPush(push.IdHash))
            {
                if (init.Measuring)
                {
                    Interlocked.Increment(ref duplicates[0]);
                }

                init.RecordStep(pushStep, Response.Fail(Duplicate, null, args.Length), latency);
                return;
            }

            init.RecordStep(pushStep, Response.Ok("delivered", args.Length), latency);
            if (push.CreatureId is { } id)
            {
                visitor.AddCandidate(id, push.Latitude, push.Longitude);
            }
        };
    }

    /// <summary>Throws at <paramref name="creature"/> once; any answer of the server is ok (its outcome is the status).</summary>
    internal static Task<Response> ThrowAsync(LoadTestOptions options, IScenarioContext ctx, Player player, string creature, string step) =>
        Step.Run(step, ctx, async () =>
        {
            var request = new CaptureRequest { CreatureId = creature, AttemptId = $"{player.PlayerId}-{ctx.InvocationNumber}" };
            Completion completion;
            try
            {
                completion = await player.Connection.InvokeAsync(HubMethods.TryCapture, GamePayloads.Encode(options.Protocol, request), 1, ctx.CancellationToken);
            }
            catch (HubConnectionClosedException ex)
            {
                return Response.Fail(Reconnector.OutageStatus, ex.Message);
            }

            if (completion.IsError)
            {
                return Response.Fail(WalkersScenario.HubError, completion.Error, completion.FrameBytes);
            }

            return Response.Ok(GamePayloads.Decode<CaptureResult>(options.Protocol, completion.Result).Outcome, completion.FrameBytes);
        });

    /// <summary>
    /// One player's view: position, the last nearby list (an ack without a list means "unchanged"), capture
    /// candidates from pushes, and the ids already pushed (bounded ring, for duplicate detection).
    /// </summary>
    internal sealed class Visitor
    {
        private const int RememberedPushes = 1024;
        private const int MaxCandidates = 8;
        private readonly HashSet<long> _pushed = [];
        private readonly Queue<long> _pushOrder = new();
        private readonly List<(string Id, double Latitude, double Longitude)> _candidates = [];

        public Visitor(FestivalWalker walker, double range)
        {
            Walker = walker;
            Position = walker.Position;
            WantId = (lat, lon) =>
            {
                var (myLat, myLon) = Position;
                return Geo.Distance(myLat, myLon, lat, lon) <= range;
            };
            Nearby = new NearbyBuffer { WantId = WantId };
        }

        /// <summary>The last nearby list this player's connection received (lock it to read or replace it).</summary>
        public NearbyBuffer Nearby { get; }

        public FestivalWalker Walker { get; }

        /// <summary>Position of the last fix sent (torn reads are harmless: it only filters candidates).</summary>
        public (double Latitude, double Longitude) Position { get; set; }

        /// <summary>Decides whether a pushed creature is close enough to be worth its id string.</summary>
        public Func<double, double, bool> WantId { get; }

        /// <summary>False when this creature was pushed to this player before. Called on the receive loop only.</summary>
        public bool FirstPush(long idHash)
        {
            if (!_pushed.Add(idHash))
            {
                return false;
            }

            _pushOrder.Enqueue(idHash);
            if (_pushOrder.Count > RememberedPushes)
            {
                _pushed.Remove(_pushOrder.Dequeue());
            }

            return true;
        }

        public void AddCandidate(string id, double latitude, double longitude)
        {
            lock (_candidates)
            {
                if (_candidates.Count >= MaxCandidates)
                {
                    _candidates.RemoveAt(0);
                }

                _candidates.Add((id, latitude, longitude));
            }
        }

        /// <summary>The nearest creature within <paramref name="range"/> from the nearby list or the pushes; forgotten once picked.</summary>
        public string? PickTarget(double range)
        {
            var (lat, lon) = Position;
            lock (Nearby)
            lock (_candidates)
            {
                string? best = null;
                var bestDistance = range;
                foreach (var c in Nearby.Items)
                {
                    // Ids were kept for creatures in range when the list arrived; the player has moved little since.
                    var d = Geo.Distance(lat, lon, c.Latitude, c.Longitude);
                    if (c.Id is not null && d <= bestDistance)
                    {
                        (best, bestDistance) = (c.Id, d);
                    }
                }

                foreach (var c in _candidates)
                {
                    var d = Geo.Distance(lat, lon, c.Latitude, c.Longitude);
                    if (d <= bestDistance)
                    {
                        (best, bestDistance) = (c.Id, d);
                    }
                }

                if (best is not null)
                {
                    _candidates.RemoveAll(c => c.Id == best);
                    Nearby.Remove(GamePayloads.Fnv1a(best));
                }

                return best;
            }
        }
    }
}

/// <summary>
/// Someone at a festival: strolls (0.5–1.5 m/s) with a wandering heading inside a square of
/// <c>side</c> metres and turns back at its edges. Deterministic for a seed and a sequence of timestamps.
/// </summary>
public sealed class FestivalWalker
{
    private const double Gravity = 9.80665;
    private readonly Random _random;
    private readonly double _minLat, _maxLat, _minLon, _maxLon;
    private double _latitude, _longitude, _course, _speed;
    private long _lastMillis = -1;
    private long _seq;

    /// <summary>Starts at a uniformly random point of the square centred on <paramref name="centre"/>.</summary>
    public FestivalWalker(int seed, (double Latitude, double Longitude) centre, double side, long seqBase = 0)
    {
        _random = new Random(seed);
        _seq = seqBase;
        var half = side / 2;
        (_maxLat, _) = Geo.Move(centre.Latitude, centre.Longitude, 0, half);
        (_minLat, _) = Geo.Move(centre.Latitude, centre.Longitude, 180, half);
        (_, _maxLon) = Geo.Move(centre.Latitude, centre.Longitude, 90, half);
        (_, _minLon) = Geo.Move(centre.Latitude, centre.Longitude, 270, half);
        _latitude = _minLat + _random.NextDouble() * (_maxLat - _minLat);
        _longitude = _minLon + _random.NextDouble() * (_maxLon - _minLon);
        _course = _random.NextDouble() * 360;
        _speed = 0.5 + _random.NextDouble();
    }

    /// <summary>Current position.</summary>
    public (double Latitude, double Longitude) Position => (_latitude, _longitude);

    /// <summary>True while the walker is inside its square (it never leaves it).</summary>
    public bool Inside => _latitude >= _minLat && _latitude <= _maxLat && _longitude >= _minLon && _longitude <= _maxLon;

    /// <summary>Advances to device time <paramref name="unixMillis"/> and returns the fix the phone would report.</summary>
    public LocationFix Next(long unixMillis)
    {
        var dt = _lastMillis < 0 ? 0 : Math.Clamp((unixMillis - _lastMillis) / 1000.0, 0, 10);
        _lastMillis = unixMillis;
        _speed = Math.Clamp(_speed + (_random.NextDouble() - 0.5) * 0.3, 0.5, 1.5);
        _course = Geo.Normalize(_course + (_random.NextDouble() - 0.5) * 60);
        var (lat, lon) = Geo.Move(_latitude, _longitude, _course, _speed * dt);

        // Reflect off the square's edges: the crowd stays on the festival ground.
        if (lat > _maxLat || lat < _minLat)
        {
            _course = Geo.Normalize(180 - _course);
            lat = Math.Clamp(lat, _minLat, _maxLat);
        }

        if (lon > _maxLon || lon < _minLon)
        {
            _course = Geo.Normalize(360 - _course);
            lon = Math.Clamp(lon, _minLon, _maxLon);
        }

        (_latitude, _longitude) = (lat, lon);
        var bounce = Math.Sin(unixMillis / 1000.0 * 2 * Math.PI * 1.6) * 0.6;
        return new LocationFix(
            Seq: ++_seq,
            Timestamp: unixMillis,
            Latitude: _latitude,
            Longitude: _longitude,
            Accuracy: 3 + _random.NextDouble() * 7,
            Heading: Geo.Normalize(_course + (_random.NextDouble() - 0.5) * 30),
            Speed: Math.Round(_speed, 2),
            Course: _course,
            AccelX: (_random.NextDouble() - 0.5) * 0.4,
            AccelY: (_random.NextDouble() - 0.5) * 0.4 + bounce * 0.3,
            AccelZ: Gravity + bounce + (_random.NextDouble() - 0.5) * 0.2);
    }
}
