using Microsoft.Extensions.Options;

namespace GameBackend.Server.Hosting;

/// <summary>Settings of the web pages (section <c>Web</c>).</summary>
public sealed class WebOptions
{
    public const string Section = "Web";

    /// <summary>
    /// Map tile URL template (<c>https://tiles.example.com/{z}/{x}/{y}.png</c>); null draws no tiles.
    /// Only configuration sets it, never a page's URL, and its origin is the only one besides our
    /// own that the pages may load images from.
    /// </summary>
    public string? TileUrl { get; set; }

    /// <summary>Attribution shown under the map for those tiles; shown as plain text.</summary>
    public string? TileAttribution { get; set; }

    internal Uri? TileOrigin => Uri.TryCreate(TileUrl, UriKind.Absolute, out var uri) ? new Uri(uri.GetLeftPart(UriPartial.Authority)) : null;
}

internal sealed class WebOptionsValidator : IValidateOptions<WebOptions>
{
    public ValidateOptionsResult Validate(string? name, WebOptions options)
    {
        if (string.IsNullOrEmpty(options.TileUrl))
        {
            return ValidateOptionsResult.Success;
        }

        return Uri.TryCreate(options.TileUrl, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            && options.TileUrl.Contains("{z}", StringComparison.Ordinal) && !options.TileUrl.Contains('\'') && !options.TileUrl.Contains(';')
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Web:TileUrl must be an absolute http(s) URL template with {z}, {x} and {y} (and no quotes or semicolons).");
    }
}

/// <summary>
/// Browser hardening for every response: a Content-Security-Policy that runs only our own script
/// files (no inline script, no eval, no plugins), refuses framing, and limits connections to this
/// origin; no MIME sniffing; no referrer (page URLs can carry map positions).
/// </summary>
internal static class WebPages
{
    public static IServiceCollection AddWebPages(this IServiceCollection services)
    {
        services.AddOptions<WebOptions>().BindConfiguration(WebOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebOptions>, WebOptionsValidator>();
        return services;
    }

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        var web = app.Services.GetRequiredService<IOptions<WebOptions>>().Value;
        // 'unsafe-inline' for styles only: Leaflet positions everything with inline styles; with no
        // HTML ever built from data, no attacker text reaches a style attribute.
        var csp = string.Join("; ",
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            $"img-src 'self' data:{(web.TileOrigin is { } origin ? " " + origin.GetLeftPart(UriPartial.Authority) : "")}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'");
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = csp;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY"; // frame-ancestors for browsers without CSP level 2
            headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        });
        return app;
    }

    /// <summary><c>GET /config.json</c>: what the pages may configure, from server settings only.</summary>
    public static WebApplication MapWebConfig(this WebApplication app)
    {
        app.MapGet("/config.json", (IOptions<WebOptions> options) => TypedResults.Ok(new
        {
            tileUrl = options.Value.TileUrl,
            tileAttribution = options.Value.TileAttribution,
        })).ExcludeFromDescription();
        return app;
    }
}
