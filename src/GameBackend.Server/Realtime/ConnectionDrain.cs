using System.Collections.Concurrent;
using GameBackend.Contracts;
using Microsoft.AspNetCore.SignalR;

namespace GameBackend.Server.Realtime;

/// <summary>
/// Knows this node's own connections, so a graceful stop can tell exactly those clients to
/// reconnect (to another node behind the load balancer) before Kestrel closes them.
/// </summary>
public sealed partial class ConnectionDrain(IHubContext<GameHub> hub, IHostApplicationLifetime lifetime, ILogger<ConnectionDrain> logger) : IHostedService
{
    private readonly ConcurrentDictionary<string, byte> _local = new(StringComparer.Ordinal);

    public int Count => _local.Count;

    /// <summary>True once this node is stopping: new connections are refused so they cannot hold the shutdown up.</summary>
    public bool Stopping => lifetime.ApplicationStopping.IsCancellationRequested;

    public void Add(string connectionId) => _local.TryAdd(connectionId, 0);

    public void Remove(string connectionId) => _local.TryRemove(connectionId, out _);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(Drain);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Drain()
    {
        var ids = _local.Keys.ToList();
        if (ids.Count == 0)
        {
            return;
        }

        LogDraining(logger, ids.Count);
        try
        {
            // Bounded: a stuck client must not hold the shutdown up.
            hub.Clients.Clients(ids).SendAsync(GameEvents.ServerShutdown, new ServerShutdown { ReconnectAfterMs = 0 })
                .Wait(TimeSpan.FromSeconds(2));
        }
        catch (Exception ex) when (ex is AggregateException or TimeoutException or OperationCanceledException)
        {
            LogDrainFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Shutting down: telling {Count} connections to reconnect elsewhere")]
    private static partial void LogDraining(ILogger logger, int count);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Shutdown notice could not reach every connection")]
    private static partial void LogDrainFailed(ILogger logger, Exception exception);
}
