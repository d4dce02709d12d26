using System.Collections.Concurrent;
using System.Collections.Frozen;
using GameBackend.Server.Realtime;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>
/// Enforces bans on <c>/hubs/game</c> without touching the hub itself: a hub filter (acting on
/// <see cref="GameHub"/> only) refuses a banned player's new connections with a close message that
/// says why, and keeps this node's connections per player so a ban closes them at once. The node that
/// takes the ban applies it immediately; every node re-reads <c>player_bans</c> each
/// <see cref="ModerationOptions.BanRefreshInterval"/> and closes what it finds newly banned.
/// </summary>
public sealed partial class BanList(
    IServiceProvider services, IHubContext<GameHub> hub, IOptions<ModerationOptions> options, ILogger<BanList> logger)
    : BackgroundService, IHubFilter
{
    /// <summary>Client method a banned player's connections receive before they are closed.</summary>
    public const string BannedMethod = "banned";

    private readonly ConcurrentDictionary<string, (string PlayerId, HubCallerContext Context)> _connections = new(StringComparer.Ordinal);
    private volatile FrozenDictionary<string, string> _banned = FrozenDictionary<string, string>.Empty;

    /// <summary>The reason a player is banned, or null. This node's view (see the class remarks).</summary>
    public string? ReasonFor(string playerId) => _banned.GetValueOrDefault(playerId);

    /// <summary>A new ban taken on this node: applied before the next refresh.</summary>
    public Task ApplyBanAsync(string playerId, string reason)
    {
        _banned = _banned.Append(KeyValuePair.Create(playerId, reason))
            .GroupBy(kv => kv.Key, StringComparer.Ordinal).ToFrozenDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        return CloseConnectionsAsync(playerId, reason);
    }

    /// <summary>A ban lifted on this node.</summary>
    public void ApplyUnban(string playerId) =>
        _banned = _banned.Where(kv => kv.Key != playerId).ToFrozenDictionary(StringComparer.Ordinal);

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        if (context.Hub is not GameHub)
        {
            await next(context);
            return;
        }

        var playerId = context.Context.UserIdentifier;
        if (playerId is not null && ReasonFor(playerId) is { } reason)
        {
            LogRefused(logger, playerId);
            // A HubException's message travels in the close frame, and the close forbids reconnecting.
            throw new HubException(Describe(reason));
        }

        if (playerId is not null)
        {
            _connections[context.Context.ConnectionId] = (playerId, context.Context);
        }

        await next(context);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        _connections.TryRemove(context.Context.ConnectionId, out _);
        return next(context, exception);
    }

    /// <summary>The text a banned player is shown.</summary>
    public static string Describe(string reason) => $"banned: {reason}";

    private async Task CloseConnectionsAsync(string playerId, string reason)
    {
        foreach (var (connectionId, entry) in _connections)
        {
            if (entry.PlayerId != playerId)
            {
                continue;
            }

            try
            {
                await hub.Clients.Client(connectionId).SendAsync(BannedMethod, new { reason = Describe(reason) });
            }
            catch (Exception ex)
            {
                // The close below still happens; the player only misses the explanation.
                LogNotifyFailed(logger, playerId, ex);
            }

            entry.Context.Abort();
            LogClosed(logger, playerId, connectionId);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stores = services.GetRequiredService<GameStores>();
        if (!stores.IsConfigured)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.BanRefreshInterval);
        do
        {
            try
            {
                var bans = await stores.Moderation.ListBansAsync(stoppingToken);
                var previous = _banned;
                _banned = bans.ToFrozenDictionary(b => b.PlayerId, b => b.Reason, StringComparer.Ordinal);
                foreach (var ban in bans)
                {
                    if (!previous.ContainsKey(ban.PlayerId))
                    {
                        await CloseConnectionsAsync(ban.PlayerId, ban.Reason);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Keep the last list: a database blip must not lift every ban.
                LogRefreshFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 5400, Level = LogLevel.Information, Message = "Banned player {PlayerId}: connection refused")]
    private static partial void LogRefused(ILogger logger, string playerId);

    [LoggerMessage(EventId = 5401, Level = LogLevel.Information, Message = "Banned player {PlayerId}: connection {ConnectionId} closed")]
    private static partial void LogClosed(ILogger logger, string playerId, string connectionId);

    [LoggerMessage(EventId = 5402, Level = LogLevel.Warning, Message = "Banned player {PlayerId}: could not send the ban reason before closing")]
    private static partial void LogNotifyFailed(ILogger logger, string playerId, Exception exception);

    [LoggerMessage(EventId = 5403, Level = LogLevel.Warning, Message = "Reading the ban list failed; keeping the previous one")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
