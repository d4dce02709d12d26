using System.Diagnostics;
using System.Globalization;

namespace GameBackend.LoadTests.Cli;

/// <summary>
/// The baseline hub in a child process (its own GC and CPU, so the yardstick is not skewed by the client).
/// The child is this same program run with <c>--serve-baseline</c>; it exits when its stdin closes.
/// </summary>
public sealed class BaselineProcess : IAsyncDisposable
{
    /// <summary>First argument that switches the program into baseline-hub mode.</summary>
    public const string ServeArgument = "--serve-baseline";

    /// <summary>Line prefix the child prints once listening.</summary>
    public const string ListeningPrefix = "baseline listening on ";

    private readonly Process _process;

    private BaselineProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The child's address.</summary>
    public Uri Address { get; }

    /// <summary>The child's PID (for CPU and memory sampling).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts the child and waits until it listens.</summary>
    public static async Task<BaselineProcess> StartAsync(double delayMs, double pushesPerSecond, CancellationToken cancellationToken)
    {
        var assembly = typeof(BaselineProcess).Assembly.Location;
        var processPath = Environment.ProcessPath ?? "dotnet";
        var isAppHost = Path.GetFileNameWithoutExtension(processPath) == Path.GetFileNameWithoutExtension(assembly);
        var host = isAppHost ? processPath : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (!isAppHost)
        {
            info.ArgumentList.Add(assembly);
        }

        foreach (var arg in new[]
                 {
                     ServeArgument, "--urls", "http://127.0.0.1:0", "--delay-ms", delayMs.ToString(CultureInfo.InvariantCulture),
                     "--pushes-per-second", pushesPerSecond.ToString(CultureInfo.InvariantCulture),
                 })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_gcServer"] = "1";
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the baseline hub.");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(ListeningPrefix, StringComparison.Ordinal))
                {
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                    return new BaselineProcess(process, new Uri(line[ListeningPrefix.Length..].Trim()));
                }
            }

            throw new InvalidOperationException("The baseline hub exited before listening.");
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }

    /// <summary>Closes the child's stdin (it exits by itself) and kills it if it lingers.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        Kill(_process);
    }
}
