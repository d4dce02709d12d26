using GameBackend.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace GameBackend.Server.Tests;

public sealed class ShutdownTests
{
    [Fact]
    public async Task A_node_stopping_alone_with_players_in_cells_logs_no_errors()
    {
        var logs = new RecordingLoggerProvider();
        var server = await TestServer.StartAsync(configureServices: services => services.AddSingleton<ILoggerProvider>(logs));
        var players = new List<TestPlayer>();
        try
        {
            // Players spread over a few blocks: each watches its cell and the neighbours.
            for (var i = 0; i < 4; i++)
            {
                var player = await server.ConnectPlayerAsync(i % 2 == 0 ? WireProtocol.Json : WireProtocol.MessagePack);
                players.Add(player);
                var ack = await player.MoveToAsync(59.3293 + (i * 0.003), 18.0686, server.Time.GetUtcNow().ToUnixTimeMilliseconds());
                Assert.True(ack.Accepted, ack.Reason);
            }
        }
        finally
        {
            // A graceful stop while the players' grains still watch their cells. Alone, the node's
            // cells stop with it: a player grain saying goodbye to them would only make Orleans log
            // a failure to place each cell on some node.
            await server.DisposeAsync();
            foreach (var player in players)
            {
                await player.DisposeAsync();
            }
        }

        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message.Split('\n')[0]}").ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} errors logged while stopping, e.g.:\n{string.Join("\n", errors.Distinct().Take(5))}");
    }
}
