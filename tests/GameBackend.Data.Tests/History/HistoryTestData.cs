using GameBackend.Data.History;

namespace GameBackend.Data.Tests.History;

internal static class HistoryTestData
{
    public static readonly DateTimeOffset Noon = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);

    public static PositionSample Sample(string player, long seq, DateTimeOffset? at = null, double lat = 48.8584, double lon = 2.2945) =>
        new(player, seq, (at ?? Noon).AddMilliseconds(seq), (at ?? Noon).AddMilliseconds(seq - 250), lat, lon,
            5.5f, 90f, 1.25f, null, 0.1f, -0.2f, 9.81f, "cell-" + player);

    public static HistoryOptions Options(string connectionString, string? spillDirectory = null) => new()
    {
        ConnectionString = connectionString,
        SpillDirectory = spillDirectory ?? Path.Combine(Path.GetTempPath(), "gb-spill-test-" + Guid.NewGuid().ToString("N")),
        FlushInterval = TimeSpan.FromMilliseconds(20),
        RetryBaseDelay = TimeSpan.FromMilliseconds(50),
        RetryMaxDelay = TimeSpan.FromMilliseconds(500),
    };

    /// <summary>Nothing listens on port 1: connections are refused at once, like a downed database.</summary>
    public const string UnreachableConnectionString =
        "Host=127.0.0.1;Port=1;Username=gamebackend;Password=gamebackend;Database=gamebackend;Timeout=2";
}
