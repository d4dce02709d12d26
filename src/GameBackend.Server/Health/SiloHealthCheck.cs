using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GameBackend.Server.Health;

/// <summary>Ready when this node's silo answers a grain call (which proves membership and activation work).</summary>
internal sealed class SiloHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var reply = await grains.GetGrain<IHealthGrain>(0).Ping().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return reply ? HealthCheckResult.Healthy("Silo answers.") : HealthCheckResult.Unhealthy("Silo gave a wrong answer.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Silo does not answer.", ex);
        }
    }
}

[Alias("GameBackend.IHealthGrain")]
public interface IHealthGrain : IGrainWithIntegerKey
{
    [Alias("Ping")]
    Task<bool> Ping();
}

/// <summary>Stateless and local: a ping never leaves the node it is asked on.</summary>
[StatelessWorker(1)]
internal sealed class HealthGrain : Grain, IHealthGrain
{
    public Task<bool> Ping() => Task.FromResult(true);
}
