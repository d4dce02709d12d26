using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace GameBackend.Web.Tests.Infrastructure;

/// <summary>One headless Chromium for the whole collection; each test gets its own context (cookies, storage).</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Bound on every Playwright wait and expectation.</summary>
    public const float TimeoutMs = 15_000;

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>tests/GameBackend.Web.Tests/bin/screenshots (not committed).</summary>
    public static string ScreenshotDirectory { get; } =
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "screenshots"));

    /// <summary>bin/screenshots/failures: what the page showed when a test run through <see cref="RunAsync"/> failed.</summary>
    public static string FailureDirectory => Path.Combine(ScreenshotDirectory, "failures");

    /// <summary>
    /// Runs a browser test on a fresh page. When the test throws (a failed expectation, a timeout, an
    /// assertion), a full-page screenshot of that moment is kept as <c>failures/&lt;test&gt;.png</c>
    /// before the page closes, then the original failure propagates unchanged.
    /// </summary>
    public async Task RunAsync(Func<GuardedPage, Task> test, [CallerMemberName] string testName = "")
    {
        await using var guarded = await NewPageAsync();
        try
        {
            await test(guarded);
        }
        catch
        {
            await guarded.KeepFailureScreenshotAsync(testName);
            throw;
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing: install Debian's browser with `apt-get install -y chromium` (tests never download browsers).");
        }

        Assertions.SetDefaultExpectTimeout(TimeoutMs);
        _playwright = await Playwright.CreateAsync().WaitAsync(TestServer.Timeout);
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = TimeoutMs,
        }).WaitAsync(TestServer.Timeout);
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>
    /// A fresh page whose every request is checked: anything not addressed to 127.0.0.1 is aborted
    /// and recorded in <see cref="GuardedPage.Blocked"/>, so a test can prove the page works offline.
    /// </summary>
    public async Task<GuardedPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 800 } })
            .WaitAsync(TestServer.Timeout);
        context.SetDefaultTimeout(TimeoutMs);
        var page = await context.NewPageAsync().WaitAsync(TestServer.Timeout);
        var guarded = new GuardedPage(context, page);
        await page.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (url.IsLoopback && url.Host == "127.0.0.1")
            {
                await route.ContinueAsync();
            }
            else
            {
                guarded.Blocked.Add(route.Request.Url);
                await route.AbortAsync();
            }
        }).WaitAsync(TestServer.Timeout);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                guarded.ConsoleErrors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => guarded.ConsoleErrors.Add(error);
        return guarded;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync().WaitAsync(TestServer.Timeout);
        }

        _playwright?.Dispose();
    }
}

public sealed class GuardedPage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    public ConcurrentBag<string> Blocked { get; } = [];

    public ConcurrentBag<string> ConsoleErrors { get; } = [];

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png") })
            .WaitAsync(TestServer.Timeout);

    /// <summary>Best effort: a page that cannot be captured (crashed, closed) must not hide the test's own failure.</summary>
    internal async Task KeepFailureScreenshotAsync(string testName)
    {
        try
        {
            Directory.CreateDirectory(BrowserFixture.FailureDirectory);
            var safe = string.Concat(testName.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' ? c : '_'));
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.FailureDirectory, safe + ".png"), FullPage = true })
                .WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
        }
    }

    public async ValueTask DisposeAsync() => await context.CloseAsync().WaitAsync(TestServer.Timeout);
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
