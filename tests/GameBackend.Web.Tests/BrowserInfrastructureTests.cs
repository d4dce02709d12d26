using GameBackend.Web.Tests.Infrastructure;

namespace GameBackend.Web.Tests;

/// <summary>The test infrastructure itself: a failing browser test leaves a picture of what the page showed.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserInfrastructureTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_failing_browser_test_keeps_a_screenshot_and_its_own_failure()
    {
        await using var server = await TestServer.StartAsync();
        var name = "failure-probe-" + Guid.NewGuid().ToString("N");
        var file = Path.Combine(BrowserFixture.FailureDirectory, name + ".png");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => browser.RunAsync(async guarded =>
        {
            await guarded.Page.GotoAsync(new Uri(server.BaseAddress, "index.html").ToString());
            throw new InvalidOperationException("the page did not show what the test expected");
        }, name));

        Assert.Equal("the page did not show what the test expected", failure.Message);
        Assert.True(File.Exists(file), $"no failure screenshot at {file}");
        // A PNG of the page, not an empty file.
        var bytes = await File.ReadAllBytesAsync(file);
        Assert.True(bytes.Length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G');
        File.Delete(file);
    }

    [Fact]
    public async Task A_passing_browser_test_keeps_no_failure_screenshot()
    {
        await using var server = await TestServer.StartAsync();
        var name = "success-probe-" + Guid.NewGuid().ToString("N");
        await browser.RunAsync(guarded => guarded.Page.GotoAsync(new Uri(server.BaseAddress, "index.html").ToString()), name);
        Assert.False(File.Exists(Path.Combine(BrowserFixture.FailureDirectory, name + ".png")));
    }
}
