using Microsoft.AspNetCore.SignalR;

namespace GameBackend.Server.Identity;

/// <summary>SignalR's user id is the player id from the token; the hub reads it and joins each connection to its player's push group.</summary>
internal sealed class PlayerUserIdProvider(PlayerTokens tokens) : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => tokens.PlayerIdOf(connection.User);
}
