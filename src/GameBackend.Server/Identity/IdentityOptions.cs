using System.Text;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Identity;

/// <summary>Player identity settings (section <c>Identity</c>).</summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    /// <summary>Shortest accepted HMAC-SHA256 key, in UTF-8 bytes (the hash's own size).</summary>
    public const int MinKeyBytes = 32;

    /// <summary>
    /// The key used in <c>Development</c> when none is configured: every node of a dev cluster and
    /// every restart then agree without setup. It is public, so outside Development the server
    /// refuses to start with it (<see cref="IdentityOptionsValidator"/>).
    /// </summary>
    public const string DevelopmentSigningKey = "gamebackend-development-signing-key-change-me-0123456789";

    /// <summary>
    /// Keys this repository has published at some point (defaults, samples, old compose files).
    /// Anyone can mint tokens with them, so they count as "no key" outside Development.
    /// </summary>
    public static readonly IReadOnlyList<string> PublishedKeys =
    [
        DevelopmentSigningKey,
        "change-me-to-a-long-random-secret-shared-by-every-node",
    ];

    /// <summary>Whether <c>POST /api/players/login</c> issues guest tokens (default true).</summary>
    public bool GuestLoginEnabled { get; set; } = true;

    /// <summary>
    /// HMAC-SHA256 key (at least 32 bytes) that signs the tokens this server issues. Shared by every
    /// node. Unset: the development key in <c>Development</c>, a start-up failure anywhere else.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>A file holding <see cref="SigningKey"/> (a Docker or Kubernetes secret mount); surrounding whitespace is ignored.</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>
    /// Keys that signed tokens before the last rotation. Tokens they signed stay valid until they
    /// expire, so keep a retired key here for at least <see cref="TokenLifetime"/> after rotating.
    /// </summary>
    public List<string> PreviousSigningKeys { get; set; } = [];

    /// <summary>
    /// Only for servers that ran before guest accounts were stored: the signing key their player ids
    /// were derived from (the development key if none was set). A device without a stored account then
    /// gets that old id back at its next login. Unset: such devices start as new players.
    /// </summary>
    public string? LegacyPlayerIdKey { get; set; }

    public string Issuer { get; set; } = "gamebackend";

    public string Audience { get; set; } = "gamebackend";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Tokens from an external identity provider, accepted beside our own.</summary>
    public ExternalIssuerOptions External { get; set; } = new();

    public bool UsesDevelopmentKey => SigningKey == DevelopmentSigningKey;

    /// <summary>Why <see cref="SigningKeyFile"/> could not be read, for the validator's message.</summary>
    internal string? SigningKeyFileError { get; set; }
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

/// <summary>Reads <see cref="IdentityOptions.SigningKeyFile"/> and applies the Development fallback key.</summary>
internal sealed class IdentityOptionsSetup(IHostEnvironment environment) : IPostConfigureOptions<IdentityOptions>
{
    public void PostConfigure(string? name, IdentityOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.SigningKey) && !string.IsNullOrWhiteSpace(options.SigningKeyFile))
        {
            try
            {
                options.SigningKey = File.ReadAllText(options.SigningKeyFile).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                options.SigningKeyFileError = $"Identity:SigningKeyFile '{options.SigningKeyFile}' cannot be read ({ex.Message}).";
            }
        }

        if (string.IsNullOrWhiteSpace(options.SigningKey) && options.SigningKeyFileError is null && environment.IsDevelopment())
        {
            options.SigningKey = IdentityOptions.DevelopmentSigningKey;
        }
    }
}

internal sealed class IdentityOptionsValidator(IHostEnvironment environment) : IValidateOptions<IdentityOptions>
{
    private const string Hint = "generate one with scripts/generate-secrets.sh and pass it as Identity:SigningKey (env Identity__SigningKey) or Identity:SigningKeyFile";

    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        var errors = new List<string>();
        if (options.SigningKeyFileError is not null)
        {
            errors.Add(options.SigningKeyFileError);
        }
        else if (string.IsNullOrWhiteSpace(options.SigningKey))
        {
            errors.Add($"Identity:SigningKey is not set. Outside Development the server refuses to start without a secret token signing key of at least {IdentityOptions.MinKeyBytes} bytes; {Hint}.");
        }
        else
        {
            CheckKey("Identity:SigningKey", options.SigningKey, errors);
        }

        for (var i = 0; i < options.PreviousSigningKeys.Count; i++)
        {
            CheckKey($"Identity:PreviousSigningKeys:{i}", options.PreviousSigningKeys[i], errors);
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

        if (!string.IsNullOrWhiteSpace(ext.SigningKey) && Encoding.UTF8.GetByteCount(ext.SigningKey) < IdentityOptions.MinKeyBytes)
        {
            errors.Add($"Identity:External:SigningKey must be at least {IdentityOptions.MinKeyBytes} bytes.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void CheckKey(string setting, string? key, List<string> errors)
    {
        if (Encoding.UTF8.GetByteCount(key ?? "") < IdentityOptions.MinKeyBytes)
        {
            errors.Add($"{setting} must be at least {IdentityOptions.MinKeyBytes} bytes; {Hint}.");
        }
        else if (!environment.IsDevelopment() && IdentityOptions.PublishedKeys.Contains(key!.Trim()))
        {
            // Development may use the public key so that `dotnet run` needs no setup; nothing else may.
            errors.Add($"{setting} is a key published in the GameBackend repository, so anyone could sign tokens with it; outside Development {Hint}.");
        }
    }
}
