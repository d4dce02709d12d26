using System.Security.Claims;
using GameBackend.Server.Hosting;
using GameBackend.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GameBackend.Server.Operators;

/// <summary>Body of <c>POST /api/operator/session</c>.</summary>
public sealed record OperatorSignIn
{
    /// <summary>The operator's own key (<c>Operators:Accounts</c>) or <c>Operators:AdminKey</c>; the key says who signs in.</summary>
    public string? AdminKey { get; init; }
}

/// <summary>Answer of <c>GET /api/operator/session</c>: whether signed in, and as which operator.</summary>
public sealed record OperatorSessionStatus(bool SignedIn, string? Name = null);

/// <summary>
/// Short-lived operator sessions for the browser console. The admin key is sent once, to sign in;
/// the browser then holds only an HttpOnly, SameSite=Strict cookie with a signed token that expires
/// after <see cref="OperatorOptions.SessionLifetime"/>. Script on the page (injected or not) can
/// neither read the cookie nor ever see the key again, and other sites cannot send it.
/// </summary>
/// <remarks>
/// The token is a JWT signed with the identity signing keys, so every node accepts a session made
/// on any other and key rotation covers it too; its audience keeps it from ever passing as a player token.
/// </remarks>
public sealed class OperatorSessions(PlayerTokens tokens, IOptions<IdentityOptions> identity, IOptions<OperatorOptions> operators, OperatorKey accounts)
{
    public const string CookieName = "gb_operator";

    /// <summary>The claim carrying the operator's name, in the session token and the principal.</summary>
    public const string NameClaim = "operator";
    private const string Audience = "gamebackend-operator";
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>A session for the named operator.</summary>
    public (string Token, TimeSpan Lifetime) Issue(string name)
    {
        var lifetime = operators.Value.SessionLifetime;
        var now = DateTime.UtcNow; // Real time: session validity is security, not game time.
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = identity.Value.Issuer,
            Audience = Audience,
            Claims = new Dictionary<string, object> { ["role"] = OperatorKeyAuthenticationHandler.Policy, [NameClaim] = name },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(tokens.SigningKey, SecurityAlgorithms.HmacSha256),
        });
        return (token, lifetime);
    }

    /// <summary>The operator a session belongs to, or null when it is not valid, expired, or its operator was removed.</summary>
    public async Task<string?> ValidateAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = identity.Value.Issuer,
            ValidAudience = Audience,
            IssuerSigningKeys = tokens.ValidationKeys,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        });
        return result.IsValid
            && result.Claims.TryGetValue("role", out var role) && role as string == OperatorKeyAuthenticationHandler.Policy
            && result.Claims.TryGetValue(NameClaim, out var name) && name is string operatorName && accounts.HasAccount(operatorName)
            ? operatorName
            : null;
    }

    public static ClaimsPrincipal Principal(string scheme, string name) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Role, OperatorKeyAuthenticationHandler.Policy), new Claim(NameClaim, name)], scheme, NameClaim, ClaimTypes.Role));

    /// <summary>The operator an authenticated principal is (see <see cref="OperatorKeyAuthenticationHandler"/>).</summary>
    public static string NameOf(ClaimsPrincipal? user) =>
        user?.FindFirst(NameClaim)?.Value ?? throw new InvalidOperationException("Not an authenticated operator.");
}

/// <summary><c>POST</c>/<c>DELETE /api/operator/session</c>: operator sign-in and sign-out for the console.</summary>
public static class OperatorSessionApi
{
    public static IEndpointRouteBuilder MapOperatorSessionApi(this IEndpointRouteBuilder endpoints)
    {
        var session = endpoints.MapGroup("/api/operator/session").WithTags("Operator").AllowAnonymous();
        session.MapPost("", SignIn)
            .WithName("OperatorSignIn")
            .WithSummary("Trades an operator's key for a short-lived HttpOnly, SameSite=Strict session cookie (the operator console) that carries the operator's name.")
            .RequireRateLimiting(Hosting.RequestLimits.LoginPolicy) // guessing the admin key is a login attempt
            .AcceptsJsonBody(Hosting.BodyKind.Login);
        session.MapGet("", Status)
            .WithName("OperatorSessionStatus")
            .WithSummary("Whether this browser holds a valid console session (so a reload needs no new sign-in), and as which operator.");
        session.MapDelete("", SignOut)
            .WithName("OperatorSignOut")
            .WithSummary("Ends the console session (removes the cookie).");
        return endpoints;
    }

    internal static Results<NoContent, ProblemHttpResult> SignIn(
        OperatorSignIn? request, OperatorKey key, OperatorSessions sessions, HttpContext http)
    {
        if (!key.IsConfigured)
        {
            return TypedResults.Problem(
                "Operator endpoints are disabled: no operator key is configured (set Operators:AdminKey or Operators:Accounts).",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Admin key not configured");
        }

        if (key.Identify(request?.AdminKey) is not { } name)
        {
            return RestProblems.Unauthorized("Wrong admin key.");
        }

        var (token, lifetime) = sessions.Issue(name);
        http.Response.Cookies.Append(OperatorSessions.CookieName, token, CookieOptions(http, lifetime));
        return TypedResults.NoContent();
    }

    /// <summary>Always 200, so a page asking does not log a failed request.</summary>
    internal static async Task<Ok<OperatorSessionStatus>> Status(HttpContext http, OperatorKey key, OperatorSessions sessions)
    {
        var name = key.IsConfigured && http.Request.Cookies[OperatorSessions.CookieName] is { Length: > 0 and <= 4096 } cookie
            ? await sessions.ValidateAsync(cookie)
            : null;
        return TypedResults.Ok(new OperatorSessionStatus(name is not null, name));
    }

    internal static NoContent SignOut(HttpContext http)
    {
        http.Response.Cookies.Delete(OperatorSessions.CookieName, CookieOptions(http, TimeSpan.Zero));
        return TypedResults.NoContent();
    }

    private static CookieOptions CookieOptions(HttpContext http, TimeSpan lifetime) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        // Secure whenever the console is served over HTTPS (the plain-HTTP case is loopback development).
        Secure = http.Request.IsHttps,
        Path = "/",
        MaxAge = lifetime,
    };
}
