namespace GameBackend.Server.Hosting;

/// <summary>
/// Grain calls lost to a node leaving the cluster. During a graceful stop (or a kill, until the node
/// is declared dead) a call to a grain that lived there fails with <see cref="SiloUnavailableException"/>
/// or is rejected; made again after a pause it lands on the grain's next activation. Only for calls
/// that are safe to repeat: every grain method retried here is idempotent (fixes carry a sequence
/// number and history rows are keyed by it, throws carry an attempt id, interest is a set).
/// Callers make the first call inline, so the hot path pays nothing until a call is lost.
/// </summary>
internal static partial class LostCalls
{
    // 4 tries over about 1.5 s: about as long as Orleans takes to re-route after a graceful stop.
    private const int Attempts = 4;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    public static bool IsLost(Exception exception) => exception is SiloUnavailableException or OrleansMessageRejectionException;

    /// <summary>
    /// Makes <paramref name="call"/> again after its first attempt was lost, up to the attempt limit.
    /// The call takes its inputs as <paramref name="state"/> so callers can pass a static lambda and
    /// allocate nothing unless a call is actually lost.
    /// </summary>
    public static async Task<T> RetryAsync<TState, T>(Func<TState, Task<T>> call, TState state, Exception firstLoss, ILogger logger, string target)
    {
        var loss = firstLoss;
        for (var attempt = 2; ; attempt++)
        {
            LogRetried(logger, target, attempt - 1, loss.Message);
            await Task.Delay(Pause * (attempt - 1));
            try
            {
                return await call(state);
            }
            catch (Exception ex) when (IsLost(ex) && attempt < Attempts)
            {
                loss = ex;
            }
        }
    }

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Call to {Target} lost to a departing node (attempt {Attempt}), retrying: {Error}")]
    private static partial void LogRetried(ILogger logger, string target, int attempt, string error);
}
