using System.Globalization;
using Npgsql;

namespace GameBackend.Data.History;

/// <summary>Creates the UTC-day partitions of <c>position_samples</c> ahead of time.</summary>
public sealed class PositionPartitions(NpgsqlDataSource dataSource)
{
    /// <summary>Partition name for a UTC day (the convention the retention job relies on).</summary>
    public static string NameFor(DateOnly day) =>
        "position_samples_p" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>
    /// Ensures partitions for [today − 1, today + 2] exist, so a clock skewed across midnight or a
    /// late replay still finds its partition. Idempotent and safe to run on every node.
    /// </summary>
    public async Task<IReadOnlyList<string>> EnsureAroundAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var names = new List<string>();
        for (var offset = -1; offset <= 2; offset++)
        {
            names.Add(await EnsureAsync(today.AddDays(offset), cancellationToken));
        }

        return names;
    }

    /// <summary>Ensures the partition for one UTC day exists; returns its name.</summary>
    public async Task<string> EnsureAsync(DateOnly day, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select ensure_position_partition(@day)");
        cmd.Parameters.AddWithValue("day", day);
        return (string)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }
}
