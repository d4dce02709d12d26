using System.Diagnostics;

namespace GameBackend.Data.Tests.Infrastructure;

/// <summary>
/// Tests that stop the shared PostgreSQL server. They run alone (no other test class of this
/// assembly runs meanwhile), keep the outage to a few seconds and always restart the server.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresOutageCollection
{
    public const string Name = "PostgreSQL outage";
}

public static class PostgresOutage
{
    public static Task StopAsync() => RunAsync("pg-stop");

    public static Task StartAsync() => RunAsync("pg-start");

    private static async Task RunAsync(string verb)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", [TestEnvironment.ServicesScript, verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"services.sh {verb} failed ({process.ExitCode}): {await stdout} {await stderr}");
        }
    }
}
