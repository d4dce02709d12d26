using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>Everything a scenario needs to know about the run; filled from the command line.</summary>
public sealed record LoadTestOptions
{
    /// <summary>Base URL of the server (REST and hub).</summary>
    public Uri Target { get; init; } = new("http://127.0.0.1:5080");

    /// <summary>Hub protocol.</summary>
    public HubProtocol Protocol { get; init; } = HubProtocol.MessagePack;

    /// <summary>Number of players / connections.</summary>
    public int Connections { get; init; } = 100;

    /// <summary>Open-model rate: messages (or connections for connect-storm) per second across all connections.</summary>
    public double Rate { get; init; } = 500;

    /// <summary>Measured duration.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Warm-up before measuring.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Seed for every random choice.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Cap on in-flight invocations; above it invocations fail as <c>client.overload</c>.</summary>
    public int MaxInFlight { get; init; } = 20_000;

    /// <summary>Skip the negotiate round trip (WebSockets only; fine for a single server).</summary>
    public bool SkipNegotiation { get; init; }

    /// <summary>Concurrent logins/connects while setting up players.</summary>
    public int SetupParallelism { get; init; } = 32;

    /// <summary>Prefix of the device ids, so runs do not share players unless wanted.</summary>
    public string DevicePrefix { get; init; } = "load";

    /// <summary>Server process id, for CPU and memory sampling.</summary>
    public int? ServerPid { get; init; }

    /// <summary>Centre of the walking area (Berlin Mitte by default).</summary>
    public (double Latitude, double Longitude) Centre { get; init; } = (52.5200, 13.4050);

    /// <summary>capture-storm: how long to wait for a creature to appear.</summary>
    public TimeSpan CreatureWait { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>capture-storm: players start this far (± a third) from the meeting point, metres.</summary>
    public double CaptureStartDistance { get; init; } = 45;

    /// <summary>sponsor-api: admin key for <c>POST /api/sponsors</c>.</summary>
    public string? AdminKey { get; init; }

    /// <summary>Optional thresholds from the command line.</summary>
    public double? MaxP99Ms { get; init; }

    /// <summary>Optional thresholds from the command line.</summary>
    public double? MaxFailPercent { get; init; }

    /// <summary>The hub URL.</summary>
    public Uri HubUrl => GameApi.HubUrl(Target);
}
