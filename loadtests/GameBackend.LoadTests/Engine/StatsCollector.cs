using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HdrHistogram;

namespace GameBackend.LoadTests.Engine;

/// <summary>
/// Records outcomes of one scenario or step. Writers record into a recorder owned by their thread
/// (single writer, no lock, no contention); one reader thread harvests them into interval and total
/// histograms through HdrHistogram's writer-reader phaser.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "One collector lives for the whole run; its per-thread recorders must outlive the threads that wrote them until the report is read.")]
internal sealed class StatsCollector
{
    // Microseconds. Larger values are clamped to 100 s. The range and the 32-bit counts keep each per-thread
    // histogram (~72 KB) below the 85 KB large-object threshold, so new threads do not churn gen2.
    internal const long HighestMicros = 100_000_000;
    private const int SignificantDigits = 3;

    private readonly ThreadLocal<ThreadRecorder> _local = new(static () => new ThreadRecorder(), trackAllValues: true);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _okCodes = new();
    private readonly ConcurrentDictionary<string, StrongBox<long>> _failCodes = new();
    private readonly double _microsPerTick;
    private readonly object _harvestLock = new();
    private readonly IntHistogram _scratch = new(1, HighestMicros, SignificantDigits);
    private readonly LongHistogram _intervalOk = NewHistogram();
    private readonly LongHistogram _intervalFail = NewHistogram();
    private readonly LongHistogram _totalOk = NewHistogram();
    private readonly LongHistogram _totalFail = NewHistogram();
    private long _overloaded;

    public StatsCollector(string name, long timestampFrequency)
    {
        Name = name;
        _microsPerTick = 1_000_000.0 / timestampFrequency;
    }

    public string Name { get; }

    public long Overloaded => Volatile.Read(ref _overloaded);

    internal static LongHistogram NewHistogram() => new(1, HighestMicros, SignificantDigits);

    public void Record(in Response response, long elapsedTicks)
    {
        var micros = Math.Clamp((long)(elapsedTicks * _microsPerTick), 1, HighestMicros);
        var t = _local.Value!;
        if (response.IsError)
        {
            t.Fail.RecordValue(micros);
            Interlocked.Add(ref t.FailBytesIn, response.SizeBytes);
            Interlocked.Add(ref t.FailBytesOut, response.SentBytes);
            Count(_failCodes, response.StatusCode);
        }
        else
        {
            t.Ok.RecordValue(micros);
            Interlocked.Add(ref t.OkBytesIn, response.SizeBytes);
            Interlocked.Add(ref t.OkBytesOut, response.SentBytes);
            Count(_okCodes, response.StatusCode);
        }
    }

    /// <summary>An invocation that never started because the in-flight cap was reached: a failure without latency.</summary>
    public void RecordOverload()
    {
        Interlocked.Increment(ref _overloaded);
        Count(_failCodes, Response.ClientOverload);
    }

    private static void Count(ConcurrentDictionary<string, StrongBox<long>> codes, string? code)
    {
        var box = codes.GetOrAdd(string.IsNullOrEmpty(code) ? "-" : code, static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
    }

    /// <summary>
    /// Moves everything recorded since the last harvest into the totals and summarises this interval.
    /// The interval histograms are reused (they are ~170 KB each: allocating them every second would
    /// churn the large-object heap and cause the gen2 pauses we are trying to measure).
    /// </summary>
    public Interval Harvest()
    {
        lock (_harvestLock)
        {
            _intervalOk.Reset();
            _intervalFail.Reset();
            foreach (var t in _local.Values)
            {
                t.Ok.GetIntervalHistogramInto(_scratch);
                _intervalOk.Add(_scratch);
                t.Fail.GetIntervalHistogramInto(_scratch);
                _intervalFail.Add(_scratch);
            }

            _totalOk.Add(_intervalOk);
            _totalFail.Add(_intervalFail);
            var ok = _intervalOk;
            return new Interval(
                ok.TotalCount,
                _intervalFail.TotalCount,
                ok.TotalCount == 0 ? 0 : ok.GetValueAtPercentile(50) / 1000.0,
                ok.TotalCount == 0 ? 0 : ok.GetValueAtPercentile(99) / 1000.0,
                ok.TotalCount == 0 ? 0 : ok.GetMaxValue() / 1000.0,
                Overloaded);
        }
    }

    /// <summary>Forgets everything recorded so far (end of warm-up).</summary>
    public void Reset()
    {
        lock (_harvestLock)
        {
            Harvest();
            _totalOk.Reset();
            _totalFail.Reset();
            foreach (var t in _local.Values)
            {
                Interlocked.Exchange(ref t.OkBytesIn, 0);
                Interlocked.Exchange(ref t.OkBytesOut, 0);
                Interlocked.Exchange(ref t.FailBytesIn, 0);
                Interlocked.Exchange(ref t.FailBytesOut, 0);
            }

            _okCodes.Clear();
            _failCodes.Clear();
            Interlocked.Exchange(ref _overloaded, 0);
        }
    }

    public (RequestStats Ok, RequestStats Fail) Snapshot(TimeSpan duration)
    {
        lock (_harvestLock)
        {
            Harvest();
            long okIn = 0, okOut = 0, failIn = 0, failOut = 0;
            foreach (var t in _local.Values)
            {
                okIn += Volatile.Read(ref t.OkBytesIn);
                okOut += Volatile.Read(ref t.OkBytesOut);
                failIn += Volatile.Read(ref t.FailBytesIn);
                failOut += Volatile.Read(ref t.FailBytesOut);
            }

            var seconds = Math.Max(duration.TotalSeconds, 1e-9);
            var okCount = _totalOk.TotalCount;
            var failCount = _totalFail.TotalCount + Overloaded;
            var ok = new RequestStats
            {
                Count = okCount,
                Rps = okCount / seconds,
                Latency = ToLatency(_totalOk),
                BytesIn = okIn,
                BytesOut = okOut,
                StatusCodes = _okCodes.ToDictionary(kv => kv.Key, kv => Volatile.Read(ref kv.Value.Value)),
            };
            var fail = new RequestStats
            {
                Count = failCount,
                Rps = failCount / seconds,
                Latency = ToLatency(_totalFail),
                BytesIn = failIn,
                BytesOut = failOut,
                StatusCodes = _failCodes.ToDictionary(kv => kv.Key, kv => Volatile.Read(ref kv.Value.Value)),
            };
            return (ok, fail);
        }
    }

    internal static LatencyStats ToLatency(HistogramBase h)
    {
        if (h.TotalCount == 0)
        {
            return LatencyStats.Empty;
        }

        static double Ms(long micros) => micros / 1000.0;
        return new LatencyStats
        {
            Count = h.TotalCount,
            MinMs = Ms(h.RecordedValues().First().ValueIteratedTo),
            MeanMs = h.GetMean() / 1000.0,
            MaxMs = Ms(h.GetMaxValue()),
            StdDevMs = h.GetStdDeviation() / 1000.0,
            Percent50 = Ms(h.GetValueAtPercentile(50)),
            Percent75 = Ms(h.GetValueAtPercentile(75)),
            Percent95 = Ms(h.GetValueAtPercentile(95)),
            Percent99 = Ms(h.GetValueAtPercentile(99)),
            Percent999 = Ms(h.GetValueAtPercentile(99.9)),
        };
    }

    internal readonly record struct Interval(long OkCount, long FailCount, double P50Ms, double P99Ms, double MaxMs, long OverloadedTotal);

    private sealed class ThreadRecorder
    {
        // 32-bit counts: one thread never records 2^31 values between two harvests a second apart.
        private static readonly HistogramFactoryDelegate Factory =
            static (id, low, high, digits) => new IntHistogram(id, low, high, digits);

        public readonly Recorder Ok = new(1, HighestMicros, SignificantDigits, Factory);
        public readonly Recorder Fail = new(1, HighestMicros, SignificantDigits, Factory);
        public long OkBytesIn;
        public long OkBytesOut;
        public long FailBytesIn;
        public long FailBytesOut;
    }
}
