namespace GameBackend.Cluster.Tests.Infrastructure;

/// <summary>Polling with a deadline instead of sleeping: returns as soon as the condition holds.</summary>
public static class Poll
{
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult<object?>(condition() ? true : null), what, timeout);

    public static Task<T> UntilAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null) where T : class =>
        UntilAsync(() => Task.FromResult(probe()), what, timeout);

    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null) where T : class
    {
        var limit = timeout ?? TestCluster.Timeout;
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            try
            {
                if (await probe().WaitAsync(cts.Token).ConfigureAwait(false) is { } value)
                {
                    return value;
                }

                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out after {limit} waiting for {what}.");
            }
        }
    }
}
