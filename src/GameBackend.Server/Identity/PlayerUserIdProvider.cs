using Microsoft.AspNetCore.SignalR;

namespace GameBackend.Server.Identity;

/// <summary>SignalR's user id is the player id, so grains can push with <c>Clients.User(playerId)</c> from any node.</summary>
internal sealed class PlayerUserIdProvider(PlayerTokens tokens) : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => tokens.PlayerIdOf(connection.User);
}
