using System.Reflection;
using Microsoft.Extensions.Logging;

namespace GameBackend.Server.Tests;

/// <summary>Log event ids are what operators grep and alert on: one id, one message, across the server and its data layer.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_logger_message_in_the_server_and_data_layer_has_its_own_event_id()
    {
        var messages = new[] { typeof(Hosting.GameClock).Assembly, typeof(Data.GameDataSource).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();

        Assert.True(messages.Count > 50, $"found only {messages.Count} [LoggerMessage] methods");
        var shared = messages
            .GroupBy(x => x.Attribute!.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: " + string.Join(", ", g.Select(x => $"{x.Method.DeclaringType!.Name}.{x.Method.Name}")))
            .ToList();
        Assert.True(shared.Count == 0, "event ids used twice: " + string.Join("; ", shared));
    }
}
