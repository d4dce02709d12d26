using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using GameBackend.Server.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Realtime;

/// <summary>
/// Closes a hub connection that has sent nothing — no invocation, no ping — for
/// <see cref="TransportOptions.ClientTimeout"/>. SignalR's own client timeout starts only with the
/// first message after the handshake, so a client that completed the handshake and then stayed
/// silent was kept forever (one token held 2,000 such connections). This watches the transport
/// itself, for every transport, from the handshake on; clients ping every
/// <see cref="TransportOptions.KeepAliveInterval"/>, well inside the timeout.
/// Time comes from the keyed <see cref="TimeProvider"/> <see cref="ClockKey"/> (the host's clock
/// unless a test puts a fake one there).
/// </summary>
public sealed partial class ConnectionLiveness(
    [FromKeyedServices(ConnectionLiveness.ClockKey)] TimeProvider time,
    IOptions<TransportOptions> transport,
    ILogger<ConnectionLiveness> logger) : BackgroundService
{
    public const string ClockKey = "GameBackend.Transport";

    private readonly ConcurrentDictionary<ConnectionContext, Mark> _watched = new();

    /// <summary>Connections being watched now.</summary>
    public int Count => _watched.Count;

    /// <summary>Connection middleware: watches what the client sends on this connection until it ends.</summary>
    public ConnectionDelegate Watch(ConnectionDelegate next) => async connection =>
    {
        var watch = new Mark(time.GetTimestamp());
        connection.Transport = new WatchedPipe(connection.Transport, watch, time);
        _watched[connection] = watch;
        try
        {
            await next(connection);
        }
        finally
        {
            _watched.TryRemove(connection, out _);
        }
    };

    /// <summary>Closes every connection silent for longer than the client timeout; returns how many.</summary>
    public int CloseSilent()
    {
        var timeout = transport.Value.ClientTimeout;
        var closed = 0;
        foreach (var (connection, watch) in _watched)
        {
            if (time.GetElapsedTime(Volatile.Read(ref watch.LastReceived)) > timeout)
            {
                LogSilent(logger, connection.ConnectionId, timeout.TotalSeconds);
                _watched.TryRemove(connection, out _);
                connection.Abort(new ConnectionAbortedException("Nothing received within the client timeout."));
                closed++;
            }
        }

        return closed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A sixth of the timeout: a silent connection is closed at most ~17% after its deadline.
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, transport.Value.ClientTimeout.Ticks / 6));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                CloseSilent();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 3303, Level = LogLevel.Information, Message = "Closing connection {ConnectionId}: nothing received for {Seconds} s")]
    private static partial void LogSilent(ILogger logger, string connectionId, double seconds);

    private sealed class Mark(long now)
    {
        public long LastReceived = now;
    }

    private sealed class WatchedPipe(IDuplexPipe inner, Mark watch, TimeProvider time) : IDuplexPipe
    {
        public PipeReader Input { get; } = new WatchedReader(inner.Input, watch, time);

        public PipeWriter Output => inner.Output;
    }

    /// <summary>Passes everything through; a read that returns data (new bytes from the client) marks the connection alive.</summary>
    private sealed class WatchedReader(PipeReader inner, Mark watch, TimeProvider time) : PipeReader
    {
        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken);
            Touch(result);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Touch(result);
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        private void Touch(ReadResult result)
        {
            if (!result.Buffer.IsEmpty)
            {
                Volatile.Write(ref watch.LastReceived, time.GetTimestamp());
            }
        }
    }
}
