using System.Text.RegularExpressions;

namespace GameBackend.Web.Tests;

/// <summary>The pages as served: hardening headers on each, and nothing a CSP without inline script would have to allow.</summary>
public sealed partial class PageHardeningTests
{
    [Fact]
    public async Task Every_page_and_script_is_served_with_the_policy_and_no_page_has_inline_script()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var path in new[] { "/", "/play.html", "/operator.html", "/sponsor.html", "/removal.html", "/js/common.js", "/js/operator.js", "/js/play.js", "/js/removal.js", "/css/app.css" })
        {
            using var response = await server.Http.GetAsync(path);
            response.EnsureSuccessStatusCode();
            var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            if (path.EndsWith(".html", StringComparison.Ordinal) || path == "/")
            {
                var html = await response.Content.ReadAsStringAsync();
                Assert.DoesNotMatch(InlineScript(), html);
                Assert.DoesNotMatch(EventHandlerAttribute(), html);
            }
        }
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"<[^>]+\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex EventHandlerAttribute();
}
