using Microsoft.AspNetCore.SignalR;

namespace GameBackend.Server.Realtime;

/// <summary>
/// Turns unexpected failures inside a hub method into a clear error for that caller only; the
/// connection, other connections and the server carry on. Details stay in the server log.
/// </summary>
internal sealed partial class HubErrorFilter(ILogger<HubErrorFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(
        HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (HubException)
        {
            throw;
        }
        catch (Exception ex) when (invocationContext.Context.ConnectionAborted.IsCancellationRequested)
        {
            // The connection ended under the method (a stream ends with its connection, a client
            // closed mid-call): nobody is left to answer and nothing failed on the server. Logged
            // as Error with a stack trace, 5,000 streams ending wrote 9 MB of log.
            LogEndedWithConnection(logger, invocationContext.HubMethodName, invocationContext.Context.ConnectionId, ex.Message);
            // Not rethrown: SignalR would log the failure as an Error with the stack trace.
            return null;
        }
        catch (Exception ex)
        {
            LogFailure(logger, invocationContext.HubMethodName, invocationContext.Context.UserIdentifier ?? "?", ex);
            throw new HubException($"{invocationContext.HubMethodName} failed on the server; try again.");
        }
    }

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Hub method {Method} ended with connection {ConnectionId} ({Reason})")]
    private static partial void LogEndedWithConnection(ILogger logger, string method, string connectionId, string reason);

    [LoggerMessage(EventId = 3100, Level = LogLevel.Error, Message = "Hub method {Method} failed for player {PlayerId}")]
    private static partial void LogFailure(ILogger logger, string method, string playerId, Exception exception);
}
