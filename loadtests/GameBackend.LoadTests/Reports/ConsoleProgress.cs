using GameBackend.LoadTests.Engine;
using Spectre.Console;

namespace GameBackend.LoadTests.Reports;

/// <summary>
/// Live progress table on an interactive terminal (Spectre.Console); a line every 5 s when output is
/// redirected. Never used by tests.
/// </summary>
internal sealed class ConsoleProgress : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;

    private ConsoleProgress(IReadOnlyList<ScenarioRunner> runners)
    {
        var interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        _loop = interactive ? LiveAsync(runners, _cts.Token) : PlainAsync(runners, _cts.Token);
    }

    public static ConsoleProgress Start(IReadOnlyList<ScenarioRunner> runners) => new(runners);

    private static Table BuildTable(IReadOnlyList<ScenarioRunner> runners)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("scenario", "state", "elapsed", "ok/s", "fail/s", "p50 ms", "p99 ms", "in flight", "ok", "fail");
        foreach (var r in runners)
        {
            var timeline = r.TimelineSnapshot();
            var last = timeline.Length > 0 ? timeline[^1] : new TimelinePoint();
            table.AddRow(
                Markup.Escape(r.Name), r.State, $"{r.Elapsed.TotalSeconds:F0} s",
                last.OkCount.ToString(), last.FailCount > 0 ? $"[red]{last.FailCount}[/]" : "0",
                $"{last.P50Ms:F2}", $"{last.P99Ms:F2}", r.InFlight.ToString(),
                timeline.Sum(p => p.OkCount).ToString(), timeline.Sum(p => p.FailCount).ToString());
        }

        return table;
    }

    private static async Task LiveAsync(IReadOnlyList<ScenarioRunner> runners, CancellationToken token)
    {
        await AnsiConsole.Live(BuildTable(runners)).StartAsync(async ctx =>
        {
            while (!token.IsCancellationRequested)
            {
                ctx.UpdateTarget(BuildTable(runners));
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), token);
                }
                catch (OperationCanceledException)
                {
                }
            }

            ctx.UpdateTarget(BuildTable(runners));
        });
    }

    private static async Task PlainAsync(IReadOnlyList<ScenarioRunner> runners, CancellationToken token)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), token);
                foreach (var r in runners)
                {
                    var timeline = r.TimelineSnapshot();
                    var last = timeline.Length > 0 ? timeline[^1] : new TimelinePoint();
                    Console.WriteLine($"[{r.Name}] {r.State} {r.Elapsed.TotalSeconds:F0}s ok/s={last.OkCount} fail/s={last.FailCount} p50={last.P50Ms:F2}ms p99={last.P99Ms:F2}ms inflight={r.InFlight}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _cts.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _cts.Dispose();
    }
}
