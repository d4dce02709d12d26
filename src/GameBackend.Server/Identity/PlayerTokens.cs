using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GameBackend.Server.Identity;

/// <summary>Issues guest tokens and maps any accepted token to a player id.</summary>
public sealed class PlayerTokens(IOptions<IdentityOptions> options, TimeProvider time)
{
    private readonly IdentityOptions _options = options.Value;
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>Guest player ids start with this; external ones with <see cref="ExternalPrefix"/>, so the two never collide.</summary>
    public const string GuestPrefix = "g-";
    public const string ExternalPrefix = "x-";

    /// <summary>The key that signs new tokens; its <c>kid</c> goes into every token's header.</summary>
    public SymmetricSecurityKey SigningKey { get; } = KeyFor(options.Value.SigningKey!);

    /// <summary>
    /// Every key a token of ours may be signed with: the current one and those kept from before the
    /// last rotation. A token's <c>kid</c> picks its key, so several keys cost no extra checks.
    /// </summary>
    public IReadOnlyList<SecurityKey> ValidationKeys { get; } =
        [KeyFor(options.Value.SigningKey!), .. options.Value.PreviousSigningKeys.Select(KeyFor)];

    /// <summary>
    /// A key's id is derived from the key itself (the first 8 bytes of its SHA-256), so nodes agree
    /// on it without another setting and it reveals nothing usable about the key.
    /// </summary>
    public static string KeyIdOf(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.Trim())).AsSpan(0, 8));

    private static SymmetricSecurityKey KeyFor(string key) =>
        new(Encoding.UTF8.GetBytes(key.Trim())) { KeyId = KeyIdOf(key) };

    public (string Token, DateTimeOffset ExpiresAt) Issue(string playerId, string? displayName)
    {
        var now = time.GetUtcNow(); // Real time: token validity is security, not game time.
        var expires = now + _options.TokenLifetime;
        var claims = new Dictionary<string, object> { ["sub"] = playerId };
        if (!string.IsNullOrEmpty(displayName))
        {
            claims["name"] = displayName;
        }

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }

    /// <summary>The player id of an authenticated principal, or null when the token carries none.</summary>
    public string? PlayerIdOf(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var issuer = user.FindFirst("iss")?.Value;
        if (issuer == _options.Issuer)
        {
            var sub = user.FindFirst("sub")?.Value;
            return sub is { Length: > 2 and <= 64 } && sub.StartsWith(GuestPrefix, StringComparison.Ordinal) ? sub : null;
        }

        var external = user.FindFirst(_options.External.PlayerIdClaim)?.Value;
        return external is { Length: > 0 and <= 128 } ? ExternalPrefix + external : null;
    }
}
