using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace GameBackend.Data.Audit;

/// <summary>One recorded action. <see cref="Detail"/> is a JSON object (never rendered as HTML).</summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Action, string? Target, JsonElement Detail);

/// <summary>Filters for <see cref="AuditLog.ListAsync"/>; null means "any".</summary>
public sealed record AuditFilter(
    string? Actor = null, string? Action = null, string? Target = null, DateTimeOffset? From = null, DateTimeOffset? To = null,
    long? BeforeId = null, int Limit = 100);

/// <summary>
/// The append-only audit trail (table <c>audit_log</c>; triggers refuse UPDATE, DELETE and TRUNCATE).
/// Writers pass their open connection and transaction when the action itself is a database write, so
/// the action and its audit row commit together or not at all.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>Most rows one <see cref="ListAsync"/> returns.</summary>
    public const int MaxLimit = 500;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Appends a row in its own statement.</summary>
    public async Task RecordAsync(string actor, string action, string? target, object? detail, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await RecordAsync(connection, null, actor, action, target, detail, cancellationToken);
    }

    /// <summary>Appends a row inside the caller's transaction.</summary>
    public async Task RecordAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string actor, string action, string? target, object? detail,
        CancellationToken cancellationToken = default)
    {
        await using var cmd = new NpgsqlCommand(
            "insert into audit_log (at, actor, action, target, detail) values (@at, @actor, @action, @target, @detail)", connection, transaction);
        cmd.Parameters.AddWithValue("at", time.GetUtcNow());
        cmd.Parameters.AddWithValue("actor", actor);
        cmd.Parameters.AddWithValue("action", action);
        cmd.Parameters.AddWithValue("target", (object?)target ?? DBNull.Value);
        cmd.Parameters.Add(new NpgsqlParameter("detail", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(detail ?? new { }, Json) });
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Newest first; page backwards with <see cref="AuditFilter.BeforeId"/>.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(AuditFilter filter, CancellationToken cancellationToken = default)
    {
        var sql = new StringBuilder("select id, at, actor, action, target, detail::text from audit_log where true");
        await using var cmd = dataSource.CreateCommand();
        // Only fixed SQL fragments are appended; every value is a parameter.
        if (filter.Actor is { Length: > 0 })
        {
            sql.Append(" and actor = @actor");
            cmd.Parameters.AddWithValue("actor", filter.Actor);
        }

        if (filter.Action is { Length: > 0 })
        {
            sql.Append(" and action = @action");
            cmd.Parameters.AddWithValue("action", filter.Action);
        }

        if (filter.Target is { Length: > 0 })
        {
            sql.Append(" and target = @target");
            cmd.Parameters.AddWithValue("target", filter.Target);
        }

        if (filter.From is { } from)
        {
            sql.Append(" and at >= @from");
            cmd.Parameters.AddWithValue("from", from);
        }

        if (filter.To is { } to)
        {
            sql.Append(" and at < @to");
            cmd.Parameters.AddWithValue("to", to);
        }

        if (filter.BeforeId is { } before)
        {
            sql.Append(" and id < @before");
            cmd.Parameters.AddWithValue("before", before);
        }

        sql.Append(" order by id desc limit @limit");
        cmd.Parameters.AddWithValue("limit", Math.Clamp(filter.Limit, 1, MaxLimit));
        cmd.CommandText = sql.ToString();
        var rows = new List<AuditEntry>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            using var detail = JsonDocument.Parse(reader.GetString(5));
            rows.Add(new AuditEntry(
                reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), detail.RootElement.Clone()));
        }

        return rows;
    }
}
