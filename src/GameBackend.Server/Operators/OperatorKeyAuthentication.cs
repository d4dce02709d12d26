using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>
/// Authenticates an operator, by name, by the console's session cookie (<see cref="OperatorSessions"/>), or by
/// an operator's key from the <c>X-Admin-Key</c> header or the <c>adminKey</c> query parameter (for
/// non-browser clients; the console never puts the key in a URL or in storage). The operator hub requires it,
/// so a wrong key is refused with 401 at negotiate, before any connection exists: a client sees one
/// definite "unauthorised" instead of a connection that opens and is then aborted, which raced the
/// handshake and left browsers unable to tell a wrong key from a network failure.
/// </summary>
internal sealed class OperatorKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, OperatorKey key, OperatorSessions sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OperatorKey";
    public const string Policy = "operator";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Cookies[OperatorSessions.CookieName] is { Length: > 0 and <= 4096 } session)
        {
            return key.IsConfigured && await sessions.ValidateAsync(session) is { } name
                ? AuthenticateResult.Success(new AuthenticationTicket(OperatorSessions.Principal(SchemeName, name), SchemeName))
                : AuthenticateResult.Fail("The operator session expired or is not valid; sign in again.");
        }

        var presented = Request.Query["adminKey"].ToString() is { Length: > 0 } q ? q : Request.Headers[OperatorKeyFilter.Header].ToString();
        if (presented.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        return key.Identify(presented) is { } operatorName
            ? AuthenticateResult.Success(new AuthenticationTicket(OperatorSessions.Principal(SchemeName, operatorName), SchemeName))
            : AuthenticateResult.Fail("Wrong admin key, or no operator key is configured.");
    }
}
