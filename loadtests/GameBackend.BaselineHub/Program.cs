using GameBackend.BaselineHub;

// dotnet run --project loadtests/GameBackend.BaselineHub -- --urls http://127.0.0.1:5090 [--delay-ms 0]
var urls = args.Contains("--urls") ? args : [.. args, "--urls", "http://127.0.0.1:5090"];
await using var server = await BaselineServer.StartAsync(urls);
Console.WriteLine($"baseline hub listening on {server.Address} (pid {Environment.ProcessId})");
var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
await stop.Task;
return 0;
