using GameBackend.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Identity;

/// <summary><c>POST /api/players/login</c>: guest login by device id.</summary>
public static class IdentityApi
{
    private const int MaxDeviceIdLength = 128;
    private const int MaxDisplayNameLength = 40;

    public static IEndpointRouteBuilder MapIdentityApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/players/login", Login)
            .WithName("Login")
            .WithTags("Players")
            .WithSummary("Guest login: the same deviceId always gets the same playerId.")
            .AllowAnonymous();
        return endpoints;
    }

    internal static Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult> Login(
        LoginRequest? request, PlayerTokens tokens, IOptions<IdentityOptions> options)
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

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var playerId = tokens.PlayerIdForDevice(deviceId);
        var (token, expiresAt) = tokens.Issue(playerId, displayName);
        return TypedResults.Ok(new LoginResponse
        {
            PlayerId = playerId,
            Token = token,
            ExpiresAt = expiresAt.ToUnixTimeMilliseconds(),
        });
    }
}
