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

    /// <summary>
    /// A phone reporting four times a second is applied four times a second, but history keeps one
    /// fix per <c>History:PositionSampleInterval</c> (1 s by default): the first fix, then the first
    /// one at least a second after the last stored one. Zero keeps every fix.
    /// </summary>
    [Theory]
    [InlineData(null, new long[] { 1, 5, 9, 13 })]
    [InlineData("00:00:00", new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 })]
    public async Task History_keeps_one_position_per_sample_interval(string? interval, long[] stored)
    {
        await using var database = await TestDatabase.CreateAsync("gb_sample");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["History:FlushInterval"] = "00:00:00.050",
        };
        if (interval is not null)
        {
            settings["History:PositionSampleInterval"] = interval; // null: the default
        }

        await using var server = await TestServer.StartAsync(settings);
        await using var player = await server.ConnectPlayerAsync(WireProtocol.MessagePack);
        var deviceTime = server.Time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 13; i++)
        {
            var ack = await player.UpdateAsync(new Contracts.LocationUpdate
            {
                Seq = i + 1, Timestamp = deviceTime + (i * 250), Latitude = 59.3293 + (i * 0.000002), Longitude = 18.0686,
            });
            Assert.True(ack.Accepted, ack.Reason);
            server.Time.Advance(TimeSpan.FromMilliseconds(250));
        }

        // The last stored row is the thirteenth fix: once it is there, every earlier one is too (one journal, in order).
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (await database.ScalarAsync<long>("select count(*) from position_samples where player_id = @p and seq = 13", ("p", player.PlayerId)) == 0)
        {
            await Task.Delay(50, cts.Token);
        }

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cts.Token);
        await using var command = new NpgsqlCommand("select seq from position_samples where player_id = @p order by seq", connection);
        command.Parameters.AddWithValue("p", player.PlayerId);
        var seqs = new List<long>();
        await using (var reader = await command.ExecuteReaderAsync(cts.Token))
        {
            while (await reader.ReadAsync(cts.Token))
            {
                seqs.Add(reader.GetInt64(0));
            }
        }

        Assert.Equal(stored, seqs);
    }
}
