using System.Reflection;
using GameBackend.Data.History;
using GameBackend.Domain.Cells;
using GameBackend.Server.Realtime;
using Microsoft.Extensions.Logging;

namespace GameBackend.Server.Tests;

/// <summary>
/// Log event ids name one message each across the server's assemblies, so that a dashboard or an
/// alert keyed on an id means one thing (two messages once shared 3200, 5301, 100 and 101).
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_log_message_has_its_own_event_id()
    {
        Assembly[] assemblies = [typeof(GameHub).Assembly, typeof(HistoryWriter).Assembly, typeof(CellGrid).Assembly];
        var messages = assemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();

        Assert.True(messages.Count > 50, $"found only {messages.Count} log messages: the scan is broken");
        var shared = messages
            .GroupBy(x => x.Attribute!.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: " + string.Join(", ", g.Select(x => $"{x.Method.DeclaringType!.Name}.{x.Method.Name}")))
            .ToList();
        Assert.True(shared.Count == 0, "event ids used more than once: " + string.Join("; ", shared));
    }
}
