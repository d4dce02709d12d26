using System.Text;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Identity;

/// <summary>Player identity settings (section <c>Identity</c>).</summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    /// <summary>
    /// Development-only key used when none is configured. Every node of a cluster must share the
    /// signing key, so a per-process random key would break scale-out and restarts; the server logs
    /// a warning whenever this default is in use.
    /// </summary>
    public const string DevelopmentSigningKey = "gamebackend-development-signing-key-change-me-0123456789";

    /// <summary>Whether <c>POST /api/players/login</c> issues guest tokens (default true).</summary>
    public bool GuestLoginEnabled { get; set; } = true;

    /// <summary>HMAC-SHA256 key (at least 32 bytes) for tokens this server issues; also derives player ids.</summary>
    public string SigningKey { get; set; } = DevelopmentSigningKey;

    public string Issuer { get; set; } = "gamebackend";

    public string Audience { get; set; } = "gamebackend";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Tokens from an external identity provider, accepted beside our own.</summary>
    public ExternalIssuerOptions External { get; set; } = new();

    public bool UsesDevelopmentKey => SigningKey == DevelopmentSigningKey;
}

/// <summary>An external token issuer (OpenID Connect authority, or a shared signing key).</summary>
public sealed class ExternalIssuerOptions
{
    /// <summary>OIDC authority; its discovery document supplies issuer and keys.</summary>
    public string? Authority { get; set; }

    /// <summary>Expected issuer, when no authority is given.</summary>
    public string? Issuer { get; set; }

    public string? Audience { get; set; }

    /// <summary>Shared HMAC key, for issuers without a discovery document.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Claim holding the external user id (default <c>sub</c>).</summary>
    public string PlayerIdClaim { get; set; } = "sub";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKey);
}

internal sealed class IdentityOptionsValidator : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        var errors = new List<string>();
        if (Encoding.UTF8.GetByteCount(options.SigningKey ?? "") < 32)
        {
            errors.Add("Identity:SigningKey must be at least 32 bytes.");
        }

        if (options.TokenLifetime <= TimeSpan.Zero)
        {
            errors.Add("Identity:TokenLifetime must be positive.");
        }

        var ext = options.External;
        if (ext.IsConfigured && string.IsNullOrWhiteSpace(ext.Audience))
        {
            errors.Add("Identity:External:Audience is required when an external issuer is configured.");
        }

        if (!string.IsNullOrWhiteSpace(ext.SigningKey) && string.IsNullOrWhiteSpace(ext.Issuer))
        {
            errors.Add("Identity:External:Issuer is required with Identity:External:SigningKey.");
        }

        if (!string.IsNullOrWhiteSpace(ext.SigningKey) && Encoding.UTF8.GetByteCount(ext.SigningKey) < 32)
        {
            errors.Add("Identity:External:SigningKey must be at least 32 bytes.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
