using System.Globalization;
using Npgsql;

namespace GameBackend.Data;

/// <summary>PostgreSQL stopped a bounded read (<see cref="BoundedReads"/>) at its statement timeout.</summary>
public sealed class StatementTimeoutException(TimeSpan timeout, Exception innerException)
    : TimeoutException($"The query ran longer than its statement timeout ({timeout.TotalSeconds:0.###} s) and was stopped by PostgreSQL.", innerException)
{
    /// <summary>The limit that fired.</summary>
    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>
/// Read-only queries that PostgreSQL itself stops after <paramref name="timeout"/>: analytics,
/// statements — the reads a sponsor or operator chooses the size of. Each read runs in a transaction
/// of its own that sets <c>statement_timeout</c> locally (<c>set_config(…, true)</c>, the
/// parameterised form of <c>SET LOCAL</c>), so the limit never leaks to other users of the pooled
/// connection (history ingestion, migrations). The server enforces it, not a client timer: it counts
/// planning, execution and lock waits, stops the backend's work even when this node is slow to read,
/// and ends in one clear error (SQLSTATE 57014), translated to <see cref="StatementTimeoutException"/>.
/// Null <paramref name="timeout"/>: unbounded (tests and tools).
/// </summary>
public sealed class BoundedReads(NpgsqlDataSource dataSource, TimeSpan? timeout)
{
    /// <summary>The limit each read runs under; null = none.</summary>
    public TimeSpan? Timeout => timeout;

    /// <summary>
    /// Runs <paramref name="command"/> (built without a connection) under the timeout and hands its
    /// reader to <paramref name="read"/>; a timeout while executing or while reading rows is a
    /// <see cref="StatementTimeoutException"/>.
    /// </summary>
    public async Task<T> ReadAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(read);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (timeout is { } wanted)
        {
            await using var set = new NpgsqlCommand("select set_config('statement_timeout', @ms, true)", connection, tx);
            // Whole milliseconds, at least one: 0 would mean "no limit" to PostgreSQL.
            var ms = Math.Max(1, (long)Math.Ceiling(wanted.TotalMilliseconds));
            set.Parameters.AddWithValue("ms", ms.ToString(CultureInfo.InvariantCulture));
            await set.ExecuteNonQueryAsync(cancellationToken);
        }

        command.Connection = connection;
        command.Transaction = tx;
        try
        {
            T result;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                result = await read(reader, cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            return result;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.QueryCanceled && timeout is { } limit && !cancellationToken.IsCancellationRequested)
        {
            // A cancellation we asked for (the request ended) surfaces as OperationCanceledException
            // instead; a 57014 here is the statement timeout.
            throw new StatementTimeoutException(limit, ex);
        }
    }
}
