using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>
/// Authenticates an operator by the admin key, from the <c>adminKey</c> query parameter (browsers
/// cannot set headers on WebSockets) or the <c>X-Admin-Key</c> header. The operator hub requires it,
/// so a wrong key is refused with 401 at negotiate, before any connection exists: a client sees one
/// definite "unauthorised" instead of a connection that opens and is then aborted, which raced the
/// handshake and left browsers unable to tell a wrong key from a network failure.
/// </summary>
internal sealed class OperatorKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, OperatorKey key)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OperatorKey";
    public const string Policy = "operator";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Query["adminKey"].ToString() is { Length: > 0 } q ? q : Request.Headers[OperatorKeyFilter.Header].ToString();
        if (presented.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!key.Accepts(presented))
        {
            return Task.FromResult(AuthenticateResult.Fail("Wrong admin key, or Operators:AdminKey is not configured."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, Policy)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
