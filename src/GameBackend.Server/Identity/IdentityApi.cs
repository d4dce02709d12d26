using GameBackend.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Identity;

/// <summary>
/// Body of <c>POST /api/players/login</c>: <c>LoginRequest</c> of the contracts plus the device secret.
/// </summary>
public sealed record GuestLoginRequest
{
    /// <summary>A stable device identifier; it names the account.</summary>
    public string DeviceId { get; init; } = "";

    /// <summary>Name shown to other players.</summary>
    public string? DisplayName { get; init; }

    /// <summary>The secret the device's first login returned; required on every later login.</summary>
    public string? DeviceSecret { get; init; }
}

/// <summary>Answer of <c>POST /api/players/login</c>: <c>LoginResponse</c> of the contracts plus the device secret.</summary>
public sealed record GuestLoginResponse
{
    /// <summary>The player id the token carries.</summary>
    public string PlayerId { get; init; } = "";

    /// <summary>A JWT bearer token for the hub and the player API.</summary>
    public string Token { get; init; } = "";

    /// <summary>When the token expires, Unix milliseconds.</summary>
    public long ExpiresAt { get; init; }

    /// <summary>
    /// Only in the answer to a device's first login: the secret every later login must present.
    /// Shown once; the server keeps only its hash.
    /// </summary>
    public string? DeviceSecret { get; init; }
}

/// <summary><c>POST /api/players/login</c>: guest login by device id and device secret.</summary>
public static class IdentityApi
{
    private const int MaxDeviceIdLength = 128;
    private const int MaxDisplayNameLength = 40;
    private const int MaxDeviceSecretLength = 128;

    public static IEndpointRouteBuilder MapIdentityApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/players/login", Login)
            .WithName("Login")
            .WithTags("Players")
            .WithSummary("Guest login: a device's first login registers it and returns its device secret; later logins must present that secret.")
            .AllowAnonymous()
            .RequireRateLimiting(Hosting.RequestLimits.LoginPolicy)
            .AcceptsJsonBody(Hosting.BodyKind.Login)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    internal static async Task<Results<Ok<GuestLoginResponse>, ValidationProblem, ProblemHttpResult>> Login(
        GuestLoginRequest? request, PlayerTokens tokens, GuestAccounts accounts, IOptions<IdentityOptions> options,
        Operators.GameStores stores, HttpContext context, CancellationToken cancellationToken)
    {
        if (!options.Value.GuestLoginEnabled)
        {
            return TypedResults.Problem(
                "Guest login is disabled on this server; sign in with the configured identity provider.",
                statusCode: StatusCodes.Status403Forbidden, title: "Guest login disabled");
        }

        var errors = new Dictionary<string, string[]>();
        var deviceId = request?.DeviceId?.Trim() ?? "";
        if (deviceId.Length == 0)
        {
            errors["deviceId"] = ["deviceId is required."];
        }
        else if (deviceId.Length > MaxDeviceIdLength || deviceId.Any(char.IsControl))
        {
            errors["deviceId"] = [$"deviceId must be at most {MaxDeviceIdLength} printable characters."];
        }

        var displayName = request?.DisplayName?.Trim();
        if (displayName is { Length: > MaxDisplayNameLength } || (displayName?.Any(char.IsControl) ?? false))
        {
            errors["displayName"] = [$"displayName must be at most {MaxDisplayNameLength} printable characters."];
        }

        var secret = request?.DeviceSecret;
        if (secret is { Length: > MaxDeviceSecretLength })
        {
            errors["deviceSecret"] = [$"deviceSecret must be at most {MaxDeviceSecretLength} characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // Accounts live in PostgreSQL: while it is down (or not migrated yet) nobody can be told
        // apart from an impostor, so logins wait; tokens already issued keep playing.
        if (DatabaseOutage.SchemaPending(context.RequestServices))
        {
            return DatabaseOutage.Problem(context);
        }

        var (result, playerId, newSecret) = await accounts.LoginAsync(deviceId, string.IsNullOrEmpty(secret) ? null : secret, cancellationToken);
        if (result == GuestLoginResult.WrongSecret)
        {
            // One answer for a missing and a wrong secret; an old client that never sent one learns what to do.
            return TypedResults.Problem(
                "This device id is registered; present the deviceSecret its first login returned.",
                statusCode: StatusCodes.Status401Unauthorized, title: "Device secret required");
        }

        // A banned player gets no new token (the ban list in PostgreSQL is the authority; without
        // PostgreSQL there are no bans).
        if (stores.IsConfigured && await stores.Moderation.FindBanAsync(playerId!, cancellationToken) is { } ban)
        {
            return TypedResults.Problem(
                Operators.BanList.Describe(ban.Reason), statusCode: StatusCodes.Status403Forbidden, title: "Player banned");
        }

        var (token, expiresAt) = tokens.Issue(playerId!, displayName);
        return TypedResults.Ok(new GuestLoginResponse
        {
            PlayerId = playerId!,
            Token = token,
            ExpiresAt = expiresAt.ToUnixTimeMilliseconds(),
            DeviceSecret = newSecret,
        });
    }
}
