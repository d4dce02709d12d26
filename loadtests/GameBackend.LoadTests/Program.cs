using GameBackend.LoadTests.Cli;

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

return await LoadTestCli.RunAsync(args, Console.Out, cts.Token);
