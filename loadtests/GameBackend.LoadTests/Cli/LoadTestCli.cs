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
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException or OverflowException)
        {
            await output.WriteLineAsync("error: " + ex.Message);
            await output.WriteLineAsync("(--help lists every option)");
            return 2;
        }

        if (cl.Help)
        {
            await output.WriteLineAsync(CommandLine.Usage);
            return 0;
        }

        await using var baseline = cl.Baseline ? await BaselineProcess.StartAsync(cl.BaselineDelayMs, cl.BaselinePushes, cancellationToken) : null;
        var runs = cl.Runs;
        if (baseline is not null)
        {
            runs = [.. runs.Select(r => r with { Options = r.Options with { Target = baseline.Address, Targets = [], ServerPid = r.Options.ServerPid ?? baseline.ProcessId } })];
            await output.WriteLineAsync($"baseline hub (pid {baseline.ProcessId}) on {baseline.Address}");
        }

        var options = runs[0].Options;
        var scenarios = runs.Select(r =>
        {
            var scenario = Create(r.Name, r.Options);
            return r.Simulations is { } simulations ? scenario.WithLoadSimulations([.. simulations]) : scenario;
        }).ToArray();

        var targets = options.Targets.Count > 0 ? options.Targets : [options.Target];
        var runner = LoadRunner.RegisterScenarios(scenarios)
            .WithSeed(options.Seed)
            .WithConsoleProgress(cl.Progress)
            .WithServerProcessId(options.ServerPid)
            .WithServerMetrics(baseline is null ? targets : [])
            .WithInfo("scenario", cl.Scenario)
            .WithInfo("target", string.Join(", ", targets) + (baseline is null ? "" : " (baseline hub)"))
            .WithInfo("protocol", options.Protocol.ToString())
            .WithInfo("gc", System.Runtime.GCSettings.IsServerGC ? "server" : "workstation");
        if (cl.ConfigPath is not null)
        {
            runner = runner.WithInfo("config", cl.ConfigPath);
        }

        foreach (var r in runs)
        {
            var prefix = runs.Count == 1 ? "" : r.Name + " ";
            var weight = r.Weight is { } w ? $" (weight {w})" : "";
            runner = runner
                .WithInfo(prefix + "connections", r.Options.Connections + weight)
                .WithInfo(prefix + "rate", $"{r.Options.Rate}/s")
                .WithInfo(prefix + "duration", $"{r.Options.Duration.TotalSeconds}s + warm-up {r.Options.WarmUp.TotalSeconds}s");
        }

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

    /// <summary>Creates a scenario by name.</summary>
    public static ScenarioProps Create(string name, LoadTestOptions options) => name switch
    {
        "walkers" or "baseline" => WalkersScenario.Create(options, name),
        "crowd" => CrowdScenario.Create(options),
        "session" => SessionScenario.Create(options),
        "connect-storm" => ConnectStormScenario.Create(options),
        "capture-storm" => CaptureStormScenario.Create(options),
        "sponsor-api" => SponsorApiScenario.Create(options),
        _ => throw new ArgumentException($"Unknown scenario '{name}'."),
    };

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
