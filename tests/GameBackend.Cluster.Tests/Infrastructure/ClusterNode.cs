using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace GameBackend.Cluster.Tests.Infrastructure;

/// <summary>
/// One real server process (<c>dotnet GameBackend.Server.dll</c>) on 127.0.0.1 with its own HTTP,
/// silo and gateway ports. A watchdog shell kills it if the test host itself dies, so a node never
/// outlives the test run.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    // The first lines say why a node failed to start; the last ones what it did lately.
    private const int HeadLogLines = 150;
    private const int MaxLogLines = 400;

    private readonly Process _process;
    private readonly Process? _watchdog;
    private readonly List<string> _head = [];
    private readonly Queue<string> _log = new();
    private readonly string _spillDirectory;

    private ClusterNode(string name, int httpPort, Process process, Process? watchdog, string spillDirectory)
    {
        Name = name;
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}");
        _process = process;
        _watchdog = watchdog;
        _spillDirectory = spillDirectory;
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

    /// <summary>The settings it was started with (a restart reuses them).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; private init; } = new Dictionary<string, string>();

    /// <summary>Its history spill and journal folder, which survives the process (a restart reuses it).</summary>
    public string SpillDirectory => _spillDirectory;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines the node wrote (stdout and stderr), for failure messages.</summary>
    public string RecentLog
    {
        get
        {
            lock (_log)
            {
                return _head.Count < HeadLogLines
                    ? string.Join('\n', _head)
                    : string.Join('\n', _head) + "\n[...]\n" + string.Join('\n', _log);
            }
        }
    }

    public static string ServerAssemblyPath
    {
        get
        {
            var path = typeof(ClusterNode).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "ServerAssemblyPath").Value!;
            path = Path.GetFullPath(path);
            return File.Exists(path) ? path : throw new FileNotFoundException("Build the server first; it was not found.", path);
        }
    }

    /// <summary>Starts the process; call <see cref="WaitReadyAsync"/> before using it.</summary>
    public static ClusterNode Start(string name, IReadOnlyDictionary<string, string> environment, string? spillDirectory = null)
    {
        var dll = ServerAssemblyPath;
        var httpPort = FreePort();
        var spill = spillDirectory ?? Path.Combine(Path.GetTempPath(), "gamebackend-cluster-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{httpPort}" },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["Cluster__SiloPort"] = FreePort().ToString();
        info.Environment["Cluster__GatewayPort"] = FreePort().ToString();
        info.Environment["History__SpillDirectory"] = spill;
        // Every accepted fix is stored, so "no accepted fix is lost" can be checked fix by fix.
        info.Environment["History__PositionSampleInterval"] = "00:00:00";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Orleans"] = "Warning";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.Start();
        var node = new ClusterNode(name, httpPort, process, StartWatchdog(process.Id), spill) { Environment = environment };
        process.OutputDataReceived += (_, e) => node.AddLine(e.Data);
        process.ErrorDataReceived += (_, e) => node.AddLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Polls <c>/health/ready</c> until it answers 200.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Node {Name} exited with {_process.ExitCode} before it was ready:\n{RecentLog}");
            }

            if (await IsReadyAsync(cts.Token))
            {
                return;
            }

            try
            {
                await Task.Delay(100, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Node {Name} was not ready within {timeout}:\n{RecentLog}");
            }
        }
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await Http.GetAsync("/health/ready", cancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL: no shutdown code runs at all.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>SIGTERM, as Kubernetes or <c>docker stop</c> send it: the host shuts down gracefully.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString()]) { UseShellExecute = false })!;
        kill.WaitForExit(5000);
    }

    public async Task WaitForExitAsync(TimeSpan timeout) => await _process.WaitForExitAsync().WaitAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Already gone, or the kernel is slow to reap it; the watchdog still covers it.
        }

        if (_watchdog is { HasExited: false })
        {
            _watchdog.Kill();
        }

        _watchdog?.Dispose();
        _process.Dispose();
        try
        {
            if (Directory.Exists(_spillDirectory))
            {
                Directory.Delete(_spillDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private void AddLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_head.Count < HeadLogLines)
            {
                _head.Add(line);
                return;
            }

            _log.Enqueue(line);
            while (_log.Count > MaxLogLines)
            {
                _log.Dequeue();
            }
        }
    }

    /// <summary>Kills the node once the test host is gone (even after a SIGKILL of the test host itself).</summary>
    private static Process? StartWatchdog(int nodePid)
    {
        var script = $"while kill -0 {System.Environment.ProcessId} 2>/dev/null && kill -0 {nodePid} 2>/dev/null; do sleep 1; done; kill -9 {nodePid} 2>/dev/null";
        try
        {
            return Process.Start(new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false });
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
