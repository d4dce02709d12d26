using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using GameBackend.Server.Hosting;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Realtime;

/// <summary>
/// Keeps client connections below what the process can hold. Every connection costs a file
/// descriptor, and the runtime needs descriptors of its own (JIT code mappings, sockets to
/// PostgreSQL and Redis, journal files): a node that let clients take the last ones died with
/// "Out of memory." at 20,000 connections. So the hub turns new connections away with 503 while
/// existing ones keep playing, and Kestrel's own connection limit sits just above as a backstop.
/// </summary>
public sealed partial class ConnectionLimit
{
    // Descriptors left to the runtime and to non-hub requests (REST, health, metrics).
    private const int MinRuntimeReserve = 256;
    private const int OtherRequests = 128;

    public ConnectionLimit(IOptions<TransportOptions> options, ILogger<ConnectionLimit> logger)
    {
        var descriptors = OpenFileLimit();
        (MaxHubConnections, MaxTcpConnections) = Derive(options.Value.MaxConnections, descriptors);
        LogLimit(logger, MaxHubConnections, descriptors ?? -1);
    }

    /// <summary>Hub connections this node accepts at once.</summary>
    public int MaxHubConnections { get; }

    /// <summary>Kestrel's limit on all TCP connections (hub, REST, health).</summary>
    public long? MaxTcpConnections { get; }

    /// <summary>The caps for a configured maximum (0: none) and the soft open-file limit (null: unknown).</summary>
    public static (int Hub, long? Tcp) Derive(int configured, long? descriptors)
    {
        long? tcp = descriptors is { } limit ? Math.Max(OtherRequests * 2, limit - Math.Max(MinRuntimeReserve, limit / 20)) : null;
        long hub = tcp is { } t ? t - OtherRequests : int.MaxValue;
        if (configured > 0)
        {
            hub = Math.Min(hub, configured);
        }

        return ((int)Math.Min(hub, int.MaxValue), tcp);
    }

    /// <summary>The soft RLIMIT_NOFILE of this process, from /proc (Linux); null elsewhere or when unlimited.</summary>
    public static long? OpenFileLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var soft) ? soft : null;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    internal static void ConfigureKestrel(KestrelServerOptions kestrel, ConnectionLimit limit) =>
        kestrel.Limits.MaxConcurrentConnections = limit.MaxTcpConnections;

    [LoggerMessage(EventId = 3210, Level = LogLevel.Information, Message = "Accepting at most {Max} hub connections (open-file limit {Descriptors}; -1: unknown)")]
    private static partial void LogLimit(ILogger logger, int max, long descriptors);
}

/// <summary>Turns a new hub connection away with 503 and Retry-After when the node is full.</summary>
internal static class ConnectionLimitMiddleware
{
    public static IApplicationBuilder UseHubConnectionLimit(this IApplicationBuilder app, PathString hubPath)
    {
        var limit = app.ApplicationServices.GetRequiredService<ConnectionLimit>();
        var drain = app.ApplicationServices.GetRequiredService<ConnectionDrain>();
        return app.Use(async (context, next) =>
        {
            // Negotiate and the transport request both count: neither may take a descriptor the node lacks.
            if (context.Request.Path.StartsWithSegments(hubPath) && drain.Count >= limit.MaxHubConnections)
            {
                context.Response.Headers.RetryAfter = "5";
                await Results.Problem(
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "This node is full",
                    detail: $"It holds its maximum of {limit.MaxHubConnections} connections; retry shortly or connect to another node.")
                    .ExecuteAsync(context);
                return;
            }

            await next(context);
        });
    }
}
