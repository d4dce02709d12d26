using GameBackend.Server.Tests.Infrastructure;
using Npgsql;

namespace GameBackend.Server.Tests;

/// <summary>Location updates over SignalR land in PostGIS with the right geography, time and sequence.</summary>
public sealed class HistoryEndToEndTests
{
    [Theory]
    [InlineData(WireProtocol.Json)]
    [InlineData(WireProtocol.MessagePack)]
    public async Task Accepted_updates_become_position_rows_exactly_once(WireProtocol protocol)
    {
        await using var database = await TestDatabase.CreateAsync("gb_e2e");
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["History:FlushInterval"] = "00:00:00.050",
        });
        await using var player = await server.ConnectPlayerAsync(protocol);
        var start = server.Time.GetUtcNow();
        var deviceTime = start.AddSeconds(-2).ToUnixTimeMilliseconds();
        var accepted = 0;
        for (var i = 0; i < 5; i++)
        {
            server.Time.Advance(TimeSpan.FromSeconds(2));
            var ack = await player.UpdateAsync(new Contracts.LocationUpdate
            {
                Seq = i + 1, Timestamp = deviceTime + (i * 2000), Latitude = 59.3293 + (i * 0.0001), Longitude = 18.0686, Heading = 90, Speed = 1.2,
            });
            accepted += ack.Accepted ? 1 : 0;
        }

        // A rejected duplicate must not become a row.
        Assert.False((await player.UpdateAsync(new Contracts.LocationUpdate { Seq = 5, Timestamp = deviceTime, Latitude = 59.4, Longitude = 18.0686 })).Accepted);
        Assert.Equal(5, accepted);

        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (await database.ScalarAsync<long>("select count(*) from position_samples where player_id = @p", ("p", player.PlayerId)) < 5)
        {
            await Task.Delay(50, cts.Token);
        }

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select seq, ST_Y(geog::geometry), ST_X(geog::geometry), server_time, device_time, heading from position_samples where player_id = @p order by seq",
            connection);
        command.Parameters.AddWithValue("p", player.PlayerId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        while (await reader.ReadAsync())
        {
            var i = rows++;
            Assert.Equal(i + 1, reader.GetInt64(0));
            Assert.Equal(59.3293 + (i * 0.0001), reader.GetDouble(1), 9);
            Assert.Equal(18.0686, reader.GetDouble(2), 9);
            Assert.Equal(start.AddSeconds(2 * (i + 1)).ToUnixTimeMilliseconds(), new DateTimeOffset(reader.GetDateTime(3)).ToUnixTimeMilliseconds());
            Assert.Equal(deviceTime + (i * 2000), new DateTimeOffset(reader.GetDateTime(4)).ToUnixTimeMilliseconds());
            Assert.Equal(90f, reader.GetFloat(5));
        }

        Assert.Equal(5, rows);
    }
}
