using System.Net;
using GameBackend.Client;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GameBackend.Server.Tests.Client;

internal static class ClientTestSupport
{
    /// <summary>Short enough that a restart is noticed quickly, long enough not to spin while the new server boots.</summary>
    public static readonly IReadOnlyList<TimeSpan> ShortDelays =
        [TimeSpan.Zero, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(250)];

    public static TheoryData<GameProtocol> Protocols => [GameProtocol.Json, GameProtocol.MessagePack];

    /// <summary>A client for a fresh device whose clock is the server's game clock, so its timestamps are never "in the future".</summary>
    public static GameClientOptions Options(TestServer server, GameProtocol protocol, string? deviceId = null) => new()
    {
        ServerUrl = server.BaseAddress,
        DeviceId = deviceId ?? "sdk-" + Guid.NewGuid().ToString("N"),
        DisplayName = "Sdk",
        Protocol = protocol,
        TimeProvider = server.Time,
        ReconnectDelays = ShortDelays,
    };

    /// <summary>
    /// The same server as <see cref="TestServer.StartAsync"/> but listening on a fixed loopback port:
    /// endpoints configured on Kestrel in code take precedence over the ephemeral URL TestServer sets.
    /// </summary>
    public static Task<TestServer> StartOnPortAsync(int port) =>
        TestServer.StartAsync(configureServices: services =>
            services.Configure<KestrelServerOptions>(o => o.Listen(IPAddress.Loopback, port)));

    public static TaskCompletionSource<T> Signal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static TaskCompletionSource Signal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Client SDK logs into the test output, so a failed reconnect test shows what the client went through.</summary>
internal sealed class TestOutputLoggerProvider(Xunit.Abstractions.ITestOutputHelper output) : Microsoft.Extensions.Logging.ILoggerProvider
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(TestOutputLoggerProvider provider, string category) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            try
            {
                provider.Log($"{category} {logLevel}: {formatter(state, exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test has finished; xUnit refuses late output.
            }
        }
    }

    public void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:F3}s] {message}");
}
