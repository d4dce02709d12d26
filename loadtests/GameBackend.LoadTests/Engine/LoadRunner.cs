using System.Diagnostics;
using GameBackend.LoadTests.Reports;

namespace GameBackend.LoadTests.Engine;

/// <summary>Report file formats.</summary>
public enum ReportFormat
{
    /// <summary>Plain-text tables.</summary>
    Txt,
    /// <summary>Markdown tables.</summary>
    Md,
    /// <summary>One row per scenario/step and ok/fail.</summary>
    Csv,
    /// <summary>A self-contained page with inline SVG charts.</summary>
    Html,
}

/// <summary>Runs registered scenarios concurrently and reports on them (NBomber's <c>NBomberRunner</c>).</summary>
public sealed class LoadRunner
{
    private readonly ScenarioProps[] _scenarios;
    private int _seed = 42;
    private TimeProvider _clock = TimeProvider.System;
    private string? _reportFolder;
    private string _reportFileName = "";
    private ReportFormat[] _formats = [ReportFormat.Txt, ReportFormat.Md, ReportFormat.Csv, ReportFormat.Html];
    private bool _progress;
    private int? _serverPid;
    private IReadOnlyList<Uri> _metricsTargets = [];
    private readonly Dictionary<string, string> _info = [];

    private LoadRunner(ScenarioProps[] scenarios) => _scenarios = scenarios;

    /// <summary>Starts a run definition.</summary>
    public static LoadRunner RegisterScenarios(params ScenarioProps[] scenarios)
    {
        if (scenarios.Length == 0 || scenarios.Select(s => s.Name).Distinct().Count() != scenarios.Length)
        {
            throw new ArgumentException("Give at least one scenario, with unique names.", nameof(scenarios));
        }

        return new LoadRunner(scenarios);
    }

    /// <summary>Seed for every random source in the run.</summary>
    public LoadRunner WithSeed(int seed) { _seed = seed; return this; }

    /// <summary>Replaces the clock (tests).</summary>
    public LoadRunner WithTimeProvider(TimeProvider clock) { _clock = clock; return this; }

    /// <summary>Writes reports into <paramref name="folder"/>.</summary>
    public LoadRunner WithReportFolder(string folder) { _reportFolder = folder; return this; }

    /// <summary>Base name of the report files (default: timestamped).</summary>
    public LoadRunner WithReportFileName(string name) { _reportFileName = name; return this; }

    /// <summary>Which report files to write.</summary>
    public LoadRunner WithReportFormats(params ReportFormat[] formats) { _formats = formats; return this; }

    /// <summary>Live progress on an interactive console.</summary>
    public LoadRunner WithConsoleProgress(bool enabled = true) { _progress = enabled; return this; }

    /// <summary>Samples the server's CPU time and memory from <c>/proc/&lt;pid&gt;</c>.</summary>
    public LoadRunner WithServerProcessId(int? pid) { _serverPid = pid; return this; }

    /// <summary>
    /// Samples the servers' allocation counter (<c>GET /metrics</c>) at the start and end of measurement
    /// for "server allocated bytes per message". A node that dies mid-run simply stops contributing.
    /// </summary>
    public LoadRunner WithServerMetrics(IReadOnlyList<Uri> targets) { _metricsTargets = targets; return this; }

    /// <summary>Adds a line to the report header.</summary>
    public LoadRunner WithInfo(string key, string value) { _info[key] = value; return this; }

    /// <summary>Runs every scenario: init, warm-up, load, drain, clean; then checks thresholds and writes reports.</summary>
    public async Task<RunResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var startedAt = _clock.GetUtcNow();
        var runners = _scenarios.Select(s => new ScenarioRunner(s, _clock, _seed, cancellationToken)).ToArray();
        var errors = new List<string>();
        var initialised = new List<ScenarioRunner>();

        foreach (var runner in runners)
        {
            try
            {
                if (runner.Props.Init is { } init)
                {
                    await init(runner.InitContext);
                }

                initialised.Add(runner);
            }
            catch (Exception ex)
            {
                errors.Add($"{runner.Name}: init failed: {ex.GetType().Name}: {ex.Message}");
                break;
            }
        }

        var cpu = new CpuStats();
        var stats = new List<ScenarioStats>();
        if (errors.Count == 0)
        {
            try
            {
                using var progress = _progress ? ConsoleProgress.Start(runners) : null;
                var run = Task.WhenAll(runners.Select(r => r.RunAsync()));

                await Task.WhenAll(runners.Select(r => r.MeasuringStarted.Task));
                var sampler = CpuSampler.Start(_serverPid);
                var allocatedBefore = _metricsTargets.Count == 0 ? null : await ServerMetrics.ReadAllocatedBytesAsync(_metricsTargets, cancellationToken);
                await run;
                var totalMessages = runners.Sum(r => r.BuildStats().AllCount);
                cpu = sampler.Stop(totalMessages);
                if (allocatedBefore is not null
                    && ServerMetrics.Delta(allocatedBefore, await ServerMetrics.ReadAllocatedBytesAsync(_metricsTargets, CancellationToken.None)) is { } allocated)
                {
                    cpu = cpu with { ServerAllocatedBytes = allocated, ServerAllocatedBytesPerMessage = (double)allocated / Math.Max(totalMessages, 1) };
                }
            }
            catch (Exception ex)
            {
                // Clean must still run (connections, sponsors…); the run is failed, not thrown away.
                errors.Add($"run failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        foreach (var runner in initialised)
        {
            try
            {
                if (runner.Props.Clean is { } clean)
                {
                    await clean(runner.InitContext);
                }
            }
            catch (Exception ex)
            {
                errors.Add($"{runner.Name}: clean failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        stats.AddRange(runners.Select(r => r.BuildStats()));
        foreach (var s in stats.Where(s => s.StopReason is not null))
        {
            errors.Add($"{s.Name}: stopped: {s.StopReason}");
        }

        var thresholds = runners.Zip(stats)
            .SelectMany(pair => pair.First.Props.Thresholds.Select(t => t.Check(pair.Second)))
            .ToList();

        var result = new RunResult
        {
            Scenarios = stats,
            Thresholds = thresholds,
            Cpu = cpu,
            StartedAt = startedAt,
            Info = new Dictionary<string, string>(_info) { ["seed"] = _seed.ToString() },
            Errors = errors,
        };

        if (_reportFolder is not null && _formats.Length > 0)
        {
            var name = string.IsNullOrEmpty(_reportFileName) ? $"load_{startedAt:yyyyMMdd_HHmmss}" : _reportFileName;
            // Written even when the run was cancelled (Ctrl+C): a partial report beats none.
            var files = await ReportWriter.WriteAsync(result, _reportFolder, name, _formats, CancellationToken.None);
            result = result with { ReportFiles = files };
        }

        return result;
    }
}

/// <summary>Client CPU from <see cref="Process.TotalProcessorTime"/>; server CPU and RSS from <c>/proc/&lt;pid&gt;</c>.</summary>
internal sealed class CpuSampler
{
    private readonly int? _serverPid;
    private readonly TimeSpan _clientStart;
    private readonly TimeSpan? _serverStart;
    private readonly long? _rssBefore;
    private readonly long _allocatedStart = GC.GetTotalAllocatedBytes();
    private readonly long _receivedStart = SignalR.RawHubConnection.TotalBytesReceived;
    private readonly long _sentStart = SignalR.RawHubConnection.TotalBytesSent;
    private readonly TimeSpan _pauseStart = GC.GetTotalPauseDuration();
    private readonly int[] _collectionsStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];

    private CpuSampler(int? serverPid)
    {
        _serverPid = serverPid;
        _clientStart = Process.GetCurrentProcess().TotalProcessorTime;
        if (serverPid is { } pid)
        {
            _serverStart = ProcFs.ReadCpuTime(pid);
            _rssBefore = ProcFs.ReadRssBytes(pid);
        }
    }

    public static CpuSampler Start(int? serverPid) => new(serverPid);

    public CpuStats Stop(long messages)
    {
        var client = Process.GetCurrentProcess().TotalProcessorTime - _clientStart;
        TimeSpan? server = null;
        long? rssAfter = null;
        if (_serverPid is { } pid)
        {
            server = ProcFs.ReadCpuTime(pid) - _serverStart;
            rssAfter = ProcFs.ReadRssBytes(pid);
        }

        var n = Math.Max(messages, 1);
        return new CpuStats
        {
            ClientCpu = client,
            ClientMicrosPerMessage = client.TotalMicroseconds / n,
            ClientAllocatedBytesPerMessage = (double)(GC.GetTotalAllocatedBytes() - _allocatedStart) / n,
            ClientCollections = (GC.CollectionCount(0) - _collectionsStart[0], GC.CollectionCount(1) - _collectionsStart[1], GC.CollectionCount(2) - _collectionsStart[2]),
            ClientGcPause = GC.GetTotalPauseDuration() - _pauseStart,
            BytesToClientPerMessage = (double)(SignalR.RawHubConnection.TotalBytesReceived - _receivedStart) / n,
            BytesFromClientPerMessage = (double)(SignalR.RawHubConnection.TotalBytesSent - _sentStart) / n,
            ServerCpu = server,
            ServerMicrosPerMessage = server?.TotalMicroseconds / n,
            ServerRssBeforeBytes = _rssBefore,
            ServerRssAfterBytes = rssAfter,
        };
    }
}
