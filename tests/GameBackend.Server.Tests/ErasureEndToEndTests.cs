using System.Net;
using GameBackend.Data.History;
using GameBackend.Server.Tests.Infrastructure;
using GameBackend.Server.Tests.Rest;

namespace GameBackend.Server.Tests;

/// <summary>
/// Issue 13, finding 4 through the real server: fixes accepted just before the erasure, still in
/// the history writer's buffer when the delete answers, are never written after it.
/// </summary>
public sealed class ErasureEndToEndTests
{
    [Fact]
    public async Task Fixes_accepted_just_before_an_erasure_are_not_written_after_it()
    {
        await using var database = await TestDatabase.CreateAsync("gb_erasure");
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            // Rows wait in memory long enough for the delete to come first (the old code wrote them
            // back ~this long after its 204).
            ["History:FlushInterval"] = "00:00:10",
        });
        var writer = server.Services.GetRequiredService<HistoryWriter>();
        await using var player = await server.ConnectPlayerAsync(WireProtocol.Json);
        var now = server.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.True((await player.MoveToAsync(48.8566, 2.3522, now)).Accepted);
        server.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await player.MoveToAsync(48.8567, 2.3522, now + 1_000)).Accepted);

        var deleted = await server.Http.SendJsonAsync(HttpMethod.Delete, "/api/players/me/history", null, Rest.Rest.Bearer(player.Token));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        await Rest.Rest.EventuallyAsync(() => Task.FromResult(writer.RowsErased >= 2), "the two buffered fixes dropped by the erasure");

        Assert.Equal(0, await database.ScalarAsync<long>("select count(*) from position_samples where player_id = @p", ("p", player.PlayerId)));

        // Play after the erasure is history again.
        server.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await player.MoveToAsync(48.8568, 2.3522, now + 2_000)).Accepted);
        await Rest.Rest.EventuallyAsync(
            async () => await database.ScalarAsync<long>("select count(*) from position_samples where player_id = @p", ("p", player.PlayerId)) >= 1,
            "the fix after the erasure stored");
    }
}
