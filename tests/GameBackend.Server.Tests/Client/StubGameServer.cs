using System.Collections.Concurrent;
using GameBackend.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GameBackend.Server.Tests.Client;

/// <summary>
/// A scripted stand-in for the game server on real Kestrel, for client behaviour the real server
/// cannot be made to show on demand: it drops the connection in the middle of the first
/// <c>TryCapture</c> and hands out tokens that are always about to expire.
/// </summary>
internal sealed class StubGameServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubGameServer(WebApplication app, Uri baseAddress, StubRecorder recorder)
    {
        _app = app;
        BaseAddress = baseAddress;
        Recorder = recorder;
    }

    public Uri BaseAddress { get; }

    public StubRecorder Recorder { get; }

    public static async Task<StubGameServer> StartAsync(TimeSpan tokenLifetime)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var recorder = new StubRecorder();
        builder.Services.AddSingleton(recorder);
        builder.Services.AddSignalR();
        var app = builder.Build();
        app.MapPost("/api/players/login", (LoginRequest request) =>
        {
            var n = Interlocked.Increment(ref recorder.Logins);
            return new LoginResponse
            {
                PlayerId = "p-" + request.DeviceId,
                Token = "token-" + n,
                ExpiresAt = DateTimeOffset.UtcNow.Add(tokenLifetime).ToUnixTimeMilliseconds(),
            };
        });
        app.MapHub<StubHub>(HubMethods.Path);
        await app.StartAsync().WaitAsync(Infrastructure.TestServer.Timeout);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new StubGameServer(app, new Uri(address), recorder);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(Infrastructure.TestServer.Timeout);
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}

internal sealed class StubRecorder
{
    public int Logins;

    public ConcurrentQueue<string> CaptureAttempts { get; } = new();

    public ConcurrentQueue<string?> Tokens { get; } = new();
}

internal sealed class StubHub(StubRecorder recorder) : Hub
{
    public override Task OnConnectedAsync()
    {
        recorder.Tokens.Enqueue(Context.GetHttpContext()?.Request.Query["access_token"].ToString() is { Length: > 0 } q
            ? q
            : Context.GetHttpContext()?.Request.Headers.Authorization.ToString());
        return Task.CompletedTask;
    }

    public async Task<CaptureResult> TryCapture(CaptureRequest request)
    {
        recorder.CaptureAttempts.Enqueue(request.AttemptId);
        if (recorder.CaptureAttempts.Count == 1)
        {
            // The throw reached the server but its answer never reaches the client.
            Context.Abort();
            await Task.Delay(Timeout.Infinite, Context.ConnectionAborted);
        }

        return new CaptureResult { AttemptId = request.AttemptId, CreatureId = request.CreatureId, Outcome = CaptureOutcomes.Captured, WinnerPlayerId = Context.UserIdentifier };
    }
}
