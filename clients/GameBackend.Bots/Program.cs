using GameBackend.Bots;

BotOptions options;
try
{
    options = BotOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine("usage: GameBackend.Bots --url http://127.0.0.1:5080 --bots 50 --city berlin --seed 1 --duration 10m [--protocol json|msgpack]");
    return 2;
}

// Bounded by --duration (and Ctrl+C); every request goes to --url only.
using var stop = new CancellationTokenSource(options.Duration);
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(30) };
var stats = new BotStats();
Console.WriteLine($"{options.Bots} bots in {options.City.Name} against {options.Url} for {options.Duration} (seed {options.Seed})");

var bots = Enumerable.Range(0, options.Bots).Select(async i =>
{
    try
    {
        // Spread log-ins over the first seconds rather than all at once.
        await Task.Delay(TimeSpan.FromMilliseconds(i * 50 % 5000), stop.Token);
        await new Bot(i, options, http, stats).RunAsync(stop.Token);
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
    }
    catch (Exception ex)
    {
        Interlocked.Increment(ref stats.Errors);
        Console.Error.WriteLine($"bot {i}: {ex.GetType().Name}: {ex.Message}");
    }
}).ToList();

var report = Task.Run(async () =>
{
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
    while (await timer.WaitForNextTickAsync(stop.Token).AsTask().ContinueWith(t => t.Status == TaskStatus.RanToCompletion && t.Result, TaskScheduler.Default))
    {
        Console.WriteLine($"sent {stats.Sent}, accepted {stats.Accepted}, throws {stats.Throws}, captures {stats.Captures}, errors {stats.Errors}");
    }
});

await Task.WhenAll(bots);
await report;
Console.WriteLine($"done: sent {stats.Sent}, accepted {stats.Accepted}, throws {stats.Throws}, captures {stats.Captures}, errors {stats.Errors}, "
    + $"rejected {string.Join(", ", stats.Rejected.Select(kv => $"{kv.Key}={kv.Value}"))}");
return stats.Errors > 0 && stats.Accepted == 0 ? 1 : 0;
