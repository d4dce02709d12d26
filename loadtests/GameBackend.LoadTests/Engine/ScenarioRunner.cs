using System.Collections.Concurrent;

namespace GameBackend.LoadTests.Engine;

/// <summary>Drives one scenario through its load simulations and keeps its statistics.</summary>
internal sealed class ScenarioRunner
{
    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(5);

    private readonly ScenarioProps _props;
    private readonly ConcurrentDictionary<string, StatsCollector> _steps = new();
    private readonly List<string> _stepOrder = [];
    private readonly List<TimelinePoint> _timeline = [];
    private readonly List<Task> _workers = [];
    private readonly CancellationTokenSource _stopCts;
    private readonly CancellationTokenSource _invocationCts;
    private readonly long _frequency;
    private long _inFlight;
    private long _invocations;
    private long _iterationsLeft = long.MaxValue;
    private int _desiredCopies;
    private double _lastInjectRate;
    private int _lastCopies;
    private long _measureStart;
    private long _measureEnd;
    private string? _stopReason;

    public ScenarioRunner(ScenarioProps props, TimeProvider clock, int runSeed, CancellationToken runToken)
    {
        _props = props;
        Clock = clock;
        Seed = Seeds.Combine(runSeed, props.Name);
        _frequency = clock.TimestampFrequency;
        Scenario = new StatsCollector(props.Name, _frequency);
        ScheduleLag = new StatsCollector(props.Name + " schedule lag", _frequency);
        _stopCts = CancellationTokenSource.CreateLinkedTokenSource(runToken);
        _invocationCts = CancellationTokenSource.CreateLinkedTokenSource(runToken);
        InitContext = new ScenarioInitContext(props.Name, Seed, clock, runToken) { Runner = this };
    }

    private volatile bool _measuring;

    /// <summary>Inside the measured window or its drain (after warm-up).</summary>
    public bool Measuring => _measuring;

    public string Name => _props.Name;
    public TimeProvider Clock { get; }
    public int Seed { get; }
    public ScenarioProps Props => _props;
    public ScenarioInitContext InitContext { get; }
    public StatsCollector Scenario { get; }

    /// <summary>Open model: how late each invocation's body started compared with its intended time (client-side lag).</summary>
    public StatsCollector ScheduleLag { get; }
    public CancellationToken InvocationToken => _invocationCts.Token;
    public long InFlight => Volatile.Read(ref _inFlight);

    /// <summary>"init", "warm-up", "measuring", "draining" or "done"; for live progress only.</summary>
    public string State { get; private set; } = "init";

    /// <summary>Completes when measurement starts (after warm-up).</summary>
    public TaskCompletionSource MeasuringStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TimeSpan Elapsed => _measureStart == 0 ? TimeSpan.Zero : Clock.GetElapsedTime(_measureStart, _measureEnd == 0 ? Clock.GetTimestamp() : _measureEnd);

    public TimelinePoint[] TimelineSnapshot()
    {
        lock (_timeline)
        {
            return [.. _timeline];
        }
    }

    public StatsCollector StepCollector(string name)
    {
        if (_steps.TryGetValue(name, out var collector))
        {
            return collector;
        }

        lock (_stepOrder)
        {
            collector = _steps.GetOrAdd(name, n => new StatsCollector(n, _frequency));
            if (!_stepOrder.Contains(name))
            {
                _stepOrder.Add(name);
            }

            return collector;
        }
    }

    public void Stop(string reason)
    {
        _stopReason ??= reason;
        _stopCts.Cancel();
    }

    public async Task RunAsync()
    {
        try
        {
            if (_props.WarmUpDuration > TimeSpan.Zero)
            {
                State = "warm-up";
                var warmUpEnd = Clock.GetTimestamp() + ToTicks(_props.WarmUpDuration);
                await RunPhasesAsync(warmUpEnd, recording: false);
                await StopWorkersAndDrainAsync(cancelLeftovers: false);
                Scenario.Reset();
                ScheduleLag.Reset();
                foreach (var step in _steps.Values)
                {
                    step.Reset();
                }

                ResetPhaseState();
            }

            State = "measuring";
            _measureStart = Clock.GetTimestamp();
            _measuring = true;
            MeasuringStarted.TrySetResult();
            using var timelineCts = new CancellationTokenSource();
            var timeline = RunTimelineAsync(timelineCts.Token);
            await RunPhasesAsync(long.MaxValue, recording: true);
            _measureEnd = Clock.GetTimestamp();
            State = "draining";
            await StopWorkersAndDrainAsync(cancelLeftovers: true);

            // Out-of-band steps (pushes, recoveries) stay recorded through the drain, as the answers to
            // measured invocations do: a push that a measured update caused may arrive after the last phase.
            _measuring = false;
            await timelineCts.CancelAsync();
            await timeline;
            AddTimelinePoint();
        }
        finally
        {
            _measuring = false;
            MeasuringStarted.TrySetResult();
            State = "done";
        }
    }

    public ScenarioStats BuildStats()
    {
        var duration = _measureEnd > _measureStart ? Clock.GetElapsedTime(_measureStart, _measureEnd) : TimeSpan.Zero;
        var (ok, fail) = Scenario.Snapshot(duration);
        List<StepStats> steps;
        lock (_stepOrder)
        {
            steps = _stepOrder.Select(name =>
            {
                var (sOk, sFail) = _steps[name].Snapshot(duration);
                return new StepStats { Name = name, Ok = sOk, Fail = sFail };
            }).ToList();
        }

        return new ScenarioStats
        {
            Name = Name,
            Duration = duration,
            Ok = ok,
            Fail = fail,
            Steps = steps,
            Timeline = TimelineSnapshot(),
            Overloaded = Scenario.Overloaded,
            ScheduleLag = ScheduleLag.Snapshot(duration).Ok.Latency,
            StopReason = _stopReason,
            Metrics = new Dictionary<string, string>(InitContext.Metrics),
        };
    }

    private void ResetPhaseState()
    {
        _lastInjectRate = 0;
        _lastCopies = 0;
        Interlocked.Exchange(ref _iterationsLeft, long.MaxValue);
    }

    private async Task RunPhasesAsync(long deadline, bool recording)
    {
        var token = _stopCts.Token;
        foreach (var phase in _props.LoadSimulations)
        {
            if (token.IsCancellationRequested || Clock.GetTimestamp() >= deadline)
            {
                break;
            }

            try
            {
                switch (phase)
                {
                    case LoadSimulation.InjectPhase p:
                        SetCopies(0);
                        await RunInjectAsync(new InjectSchedule(p.Rate, p.Rate, p.Interval, p.During), p.During, deadline, recording, token);
                        _lastInjectRate = p.Rate;
                        break;
                    case LoadSimulation.RampingInjectPhase p:
                        SetCopies(0);
                        await RunInjectAsync(new InjectSchedule(_lastInjectRate, p.Rate, p.Interval, p.During), p.During, deadline, recording, token);
                        _lastInjectRate = p.Rate;
                        break;
                    case LoadSimulation.KeepConstantPhase p:
                        await RunClosedAsync(p.Copies, p.Copies, p.During, deadline, recording, token);
                        break;
                    case LoadSimulation.RampingConstantPhase p:
                        await RunClosedAsync(_lastCopies, p.Copies, p.During, deadline, recording, token);
                        break;
                    case LoadSimulation.IterationsForConstantPhase p:
                        await RunIterationsAsync(p.Copies, p.Iterations, deadline, recording, token);
                        break;
                    case LoadSimulation.PausePhase p:
                        SetCopies(0);
                        await DelayUntilAsync(Math.Min(deadline, Clock.GetTimestamp() + ToTicks(p.During)), token);
                        break;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
        }

        SetCopies(0);
    }

    private Task RunInjectAsync(InjectSchedule schedule, TimeSpan during, long deadline, bool recording, CancellationToken token)
    {
        if (!ReferenceEquals(Clock, TimeProvider.System))
        {
            return InjectLoopAsync(schedule, during, deadline, recording, blocking: false, token);
        }

        // With the real clock the schedule runs on its own thread and sleeps with Thread.Sleep: ~1 ms
        // granularity and no timer-queue plus thread-pool hop, so the client adds less schedule lag.
        return Task.Factory.StartNew(() => InjectLoopAsync(schedule, during, deadline, recording, blocking: true, token),
            token, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    private async Task InjectLoopAsync(InjectSchedule schedule, TimeSpan during, long deadline, bool recording, bool blocking, CancellationToken token)
    {
        var start = Clock.GetTimestamp();
        var end = Math.Min(deadline, SaturatingAdd(start, ToTicks(during)));
        long k = 0;
        while (true)
        {
            token.ThrowIfCancellationRequested();
            var now = Clock.GetTimestamp();

            // Dispatch everything due by now. The intended timestamp comes from the schedule, not from
            // when this loop woke up: a late wake-up (GC, starved thread pool) is charged to latency.
            long next;
            while (true)
            {
                var t = schedule.TimeOf(k);
                next = double.IsInfinity(t) ? long.MaxValue : start + (long)(t * _frequency);
                if (next > now || next >= end)
                {
                    break;
                }

                Dispatch(next, recording);
                k++;
            }

            if (now >= end)
            {
                return;
            }

            await DelayUntilAsync(Math.Min(next, end), token, blocking);
        }
    }

    private void Dispatch(long intendedTimestamp, bool recording)
    {
        var n = Interlocked.Increment(ref _invocations) - 1;
        if (Interlocked.Increment(ref _inFlight) > _props.MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            if (recording)
            {
                Scenario.RecordOverload();
            }

            return;
        }

        var ctx = new ScenarioContext(this, -1);
        ctx.Reset(n, intendedTimestamp, recording);
        ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.Runner.RunOneAsync(c), ctx, preferLocal: false);
    }

    internal async Task RunOneAsync(ScenarioContext ctx)
    {
        if (ctx.Recording && ctx.InstanceNumber < 0)
        {
            ScheduleLag.Record(Response.Ok(), Clock.GetTimestamp() - ctx.StartTimestamp);
        }

        Response response;
        try
        {
            response = await _props.Run(ctx);
        }
        catch (OperationCanceledException) when (InvocationToken.IsCancellationRequested)
        {
            response = Response.Fail(Response.ClientCancelled, "cancelled");
        }
        catch (Exception ex)
        {
            response = Response.Fail(Response.ClientException, ex.GetType().Name + ": " + ex.Message);
        }

        if (ctx.Recording)
        {
            Scenario.Record(response, Clock.GetTimestamp() - ctx.StartTimestamp);
        }

        Interlocked.Decrement(ref _inFlight);
    }

    private async Task RunClosedAsync(int from, int to, TimeSpan during, long deadline, bool recording, CancellationToken token)
    {
        var start = Clock.GetTimestamp();
        var end = Math.Min(deadline, SaturatingAdd(start, ToTicks(during)));
        var tick = ToTicks(TimeSpan.FromMilliseconds(from == to ? 1000 : 50));
        while (true)
        {
            var now = Clock.GetTimestamp();
            var progress = end > start ? Math.Clamp((double)(now - start) / (end - start), 0, 1) : 1;
            SetCopies((int)Math.Round(from + (to - from) * progress), recording);
            if (now >= end)
            {
                break;
            }

            await DelayUntilAsync(Math.Min(end, now + tick), token);
        }

        _lastCopies = to;
    }

    private async Task RunIterationsAsync(int copies, long iterations, long deadline, bool recording, CancellationToken token)
    {
        await StopWorkersAsync();
        Interlocked.Exchange(ref _iterationsLeft, iterations);
        SetCopies(copies, recording);
        var all = Task.WhenAll(_workers.ToArray());
        while (!all.IsCompleted)
        {
            token.ThrowIfCancellationRequested();
            if (Clock.GetTimestamp() >= deadline)
            {
                break;
            }

            await Task.WhenAny(all, Task.Delay(TimeSpan.FromMilliseconds(50), Clock, token));
        }

        await StopWorkersAsync();
        Interlocked.Exchange(ref _iterationsLeft, long.MaxValue);
        _lastCopies = 0;
    }

    private volatile bool _workersRecording;

    private void SetCopies(int copies, bool recording = false)
    {
        if (copies > 0 && recording != _workersRecording)
        {
            _workersRecording = recording;
        }

        Volatile.Write(ref _desiredCopies, copies);
        for (var i = 0; i < copies; i++)
        {
            if (i >= _workers.Count)
            {
                _workers.Add(StartWorker(i));
            }
            else if (_workers[i].IsCompleted)
            {
                _workers[i] = StartWorker(i);
            }
        }
    }

    private Task StartWorker(int index) => Task.Run(async () =>
    {
        var ctx = new ScenarioContext(this, index);
        var token = _stopCts.Token;
        while (!token.IsCancellationRequested && index < Volatile.Read(ref _desiredCopies))
        {
            if (Interlocked.Decrement(ref _iterationsLeft) < 0)
            {
                break;
            }

            Interlocked.Increment(ref _inFlight);
            ctx.Reset(Interlocked.Increment(ref _invocations) - 1, Clock.GetTimestamp(), _workersRecording);
            await RunOneAsync(ctx);
        }
    });

    private async Task StopWorkersAsync()
    {
        Volatile.Write(ref _desiredCopies, 0);
        var pending = _workers.Where(w => !w.IsCompleted).ToArray();
        if (pending.Length > 0)
        {
            try
            {
                await Task.WhenAll(pending).WaitAsync(_props.DrainTimeout, Clock);
            }
            catch (TimeoutException)
            {
                // Left running; they stop at their next iteration check.
            }
        }
    }

    private async Task StopWorkersAndDrainAsync(bool cancelLeftovers)
    {
        Volatile.Write(ref _desiredCopies, 0);
        var deadline = Clock.GetTimestamp() + ToTicks(_props.DrainTimeout);
        while (Volatile.Read(ref _inFlight) > 0 && Clock.GetTimestamp() < deadline)
        {
            await Task.Delay(DrainPoll, Clock);
        }

        if (Volatile.Read(ref _inFlight) > 0 && cancelLeftovers)
        {
            // Whatever is still running gets cancelled and then has a short grace period to record itself.
            await _invocationCts.CancelAsync();
            var grace = Clock.GetTimestamp() + ToTicks(TimeSpan.FromSeconds(5));
            while (Volatile.Read(ref _inFlight) > 0 && Clock.GetTimestamp() < grace)
            {
                await Task.Delay(DrainPoll, Clock);
            }
        }
    }

    private async Task RunTimelineAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), Clock);
        try
        {
            while (await timer.WaitForNextTickAsync(token))
            {
                AddTimelinePoint();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private long _lastOverloaded;

    private void AddTimelinePoint()
    {
        var interval = Scenario.Harvest();
        var now = _measureEnd == 0 ? Clock.GetTimestamp() : Math.Max(_measureEnd, Clock.GetTimestamp());
        var overloaded = interval.OverloadedTotal - _lastOverloaded;
        _lastOverloaded = interval.OverloadedTotal;
        var second = Math.Round(Clock.GetElapsedTime(_measureStart, now).TotalSeconds, 3);
        double previous;
        lock (_timeline)
        {
            previous = _timeline.Count == 0 ? 0 : _timeline[^1].Second;
        }

        var point = new TimelinePoint
        {
            Second = second,
            IntervalSeconds = Math.Max(second - previous, 0.001),
            OkCount = interval.OkCount,
            FailCount = interval.FailCount + overloaded,
            P50Ms = interval.P50Ms,
            P99Ms = interval.P99Ms,
            MaxMs = interval.MaxMs,
            InFlight = InFlight,
        };
        lock (_timeline)
        {
            if (point.OkCount > 0 || point.FailCount > 0 || _timeline.Count == 0 || point.Second - _timeline[^1].Second >= 0.5)
            {
                _timeline.Add(point);
            }
        }
    }

    private Task DelayUntilAsync(long timestamp, CancellationToken token, bool blocking = false)
    {
        var wait = timestamp - Clock.GetTimestamp();
        if (wait <= 0)
        {
            return Task.CompletedTask;
        }

        // Waits below 1 ms are rounded up to 1 ms: a shorter Task.Delay completes synchronously and would
        // turn the loop into a spin that eats a core. The resulting lag is measured (schedule lag) and is
        // part of the open-model latency, as it should be.
        var seconds = Math.Max((double)wait / _frequency, 0.001);
        if (!blocking)
        {
            return Task.Delay(TimeSpan.FromSeconds(seconds), Clock, token);
        }

        Thread.Sleep(TimeSpan.FromMilliseconds(Math.Clamp(Math.Ceiling(seconds * 1000), 1, 50)));
        token.ThrowIfCancellationRequested();
        return Task.CompletedTask;
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _frequency);

    private static long SaturatingAdd(long a, long b) => b > long.MaxValue - a ? long.MaxValue : a + b;
}
