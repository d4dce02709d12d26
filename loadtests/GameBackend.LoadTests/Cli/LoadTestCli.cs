using GameBackend.BaselineHub;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.Reports;
using GameBackend.LoadTests.Scenarios;

namespace GameBackend.LoadTests.Cli;

/// <summary>The command-line entry point, callable from tests.</summary>
public static class LoadTestCli
{
    /// <summary>Runs the load test described by <paramref name="args"/>; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken = default)
    {
        if (args.Length > 0 && args[0] == BaselineProcess.ServeArgument)
        {
            return await ServeBaselineAsync(args[1..], output, cancellationToken);
        }

        CommandLine cl;
        try
        {
            cl = CommandLine.Parse(args);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException)
        {
            await output.WriteLineAsync("error: " + ex.Message);
            await output.WriteLineAsync(CommandLine.Usage);
            return 2;
        }

        if (cl.Help)
        {
            await output.WriteLineAsync(CommandLine.Usage);
            return 0;
        }

        await using var baseline = cl.Baseline ? await BaselineProcess.StartAsync(cl.BaselineDelayMs, cancellationToken) : null;
        var options = cl.Options;
        if (baseline is not null)
        {
            options = options with { Target = baseline.Address, ServerPid = options.ServerPid ?? baseline.ProcessId };
            await output.WriteLineAsync($"baseline hub (pid {baseline.ProcessId}) on {baseline.Address}");
        }

        var scenario = cl.Scenario switch
        {
            "walkers" or "baseline" => WalkersScenario.Create(options, cl.Scenario),
            "connect-storm" => ConnectStormScenario.Create(options),
            "capture-storm" => CaptureStormScenario.Create(options),
            "sponsor-api" => SponsorApiScenario.Create(options),
            _ => throw new InvalidOperationException(cl.Scenario),
        };

        var runner = LoadRunner.RegisterScenarios(scenario)
            .WithSeed(options.Seed)
            .WithConsoleProgress(cl.Progress)
            .WithServerProcessId(options.ServerPid)
            .WithInfo("scenario", cl.Scenario)
            .WithInfo("target", options.Target + (baseline is null ? "" : " (baseline hub)"))
            .WithInfo("protocol", options.Protocol.ToString())
            .WithInfo("connections", options.Connections.ToString())
            .WithInfo("rate", $"{options.Rate}/s")
            .WithInfo("duration", $"{options.Duration.TotalSeconds}s + warm-up {options.WarmUp.TotalSeconds}s")
            .WithInfo("gc", System.Runtime.GCSettings.IsServerGC ? "server" : "workstation");
        if (cl.ReportFolder is not null)
        {
            runner = runner.WithReportFolder(cl.ReportFolder);
            if (cl.ReportName is not null)
            {
                runner = runner.WithReportFileName(cl.ReportName);
            }
        }

        var result = await runner.RunAsync(cancellationToken);
        await output.WriteLineAsync(ReportWriter.Text(result));
        foreach (var file in result.ReportFiles)
        {
            await output.WriteLineAsync("report: " + file);
        }

        return result.ExitCode;
    }

    private static async Task<int> ServeBaselineAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        await using var server = await BaselineServer.StartAsync(args, cancellationToken: cancellationToken);
        await output.WriteLineAsync(BaselineProcess.ListeningPrefix + server.Address);
        await output.FlushAsync(cancellationToken);

        // Runs until the parent closes our stdin (or dies).
        try
        {
            while (await Console.In.ReadLineAsync(cancellationToken) is not null)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }
}
