using System.Globalization;

namespace GameBackend.LoadTests.Engine;

/// <summary>
/// Reads the server's own allocation counter from its Prometheus endpoint (<c>GET /metrics</c>, OpenTelemetry
/// runtime instrumentation), so the report can show server bytes allocated per update next to CPU per update.
/// </summary>
public static class ServerMetrics
{
    /// <summary>Counter names, newest first: .NET 9+ <c>System.Runtime</c> meter, then the older instrumentation's name.</summary>
    public static readonly string[] AllocatedBytesMetrics =
        ["dotnet_gc_heap_total_allocated_bytes_total", "process_runtime_dotnet_gc_allocations_size_bytes_total"];

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Total bytes the server has allocated since it started, or null when the endpoint or counter is missing.</summary>
    public static async Task<long?> ReadAllocatedBytesAsync(Uri target, CancellationToken cancellationToken)
    {
        try
        {
            var text = await Http.GetStringAsync(new Uri(target, "/metrics"), cancellationToken);
            return ParseAllocatedBytes(text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Sum of the first known allocation counter's samples (all label sets) in a Prometheus text exposition.</summary>
    public static long? ParseAllocatedBytes(string exposition)
    {
        foreach (var metric in AllocatedBytesMetrics)
        {
            double? sum = null;
            foreach (var line in exposition.AsSpan().EnumerateLines())
            {
                if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not (' ' or '{'))
                {
                    continue;
                }

                // "name{labels} value [timestamp]": the value follows the label set (labels may hold spaces).
                var rest = line[metric.Length..];
                var close = rest.LastIndexOf('}');
                var fields = rest[(close + 1)..].Trim().ToString().Split(' ');
                if (double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                {
                    sum = (sum ?? 0) + v;
                }
            }

            if (sum is { } total)
            {
                return (long)total;
            }
        }

        return null;
    }

    /// <summary>Each target's counter (null where it did not answer), in order.</summary>
    public static Task<long?[]> ReadAllocatedBytesAsync(IReadOnlyList<Uri> targets, CancellationToken cancellationToken) =>
        Task.WhenAll(targets.Select(t => ReadAllocatedBytesAsync(t, cancellationToken)));

    /// <summary>
    /// Bytes allocated between two samples, summed over the targets that answered both times (a node killed
    /// mid-run drops out rather than turning the sum negative); null when none did.
    /// </summary>
    public static long? Delta(long?[] before, long?[] after)
    {
        long? total = null;
        for (var i = 0; i < Math.Min(before.Length, after.Length); i++)
        {
            if (before[i] is { } b && after[i] is { } a && a >= b)
            {
                total = (total ?? 0) + (a - b);
            }
        }

        return total;
    }
}
