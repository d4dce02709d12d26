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

    /// <summary>Ack p99 threshold, ms; null: the project's target (<see cref="Targets.AckP99Ms"/>) unless defaults are off.</summary>
    public double? MaxP99Ms { get; init; }

    /// <summary>Failure threshold, percent; null: <see cref="Targets.FailPercent"/> unless defaults are off.</summary>
    public double? MaxFailPercent { get; init; }

    /// <summary>Push delivery p99 threshold (crowd), ms; null: <see cref="Targets.PushP99Ms"/> unless defaults are off.</summary>
    public double? MaxPushP99Ms { get; init; }

    /// <summary>Apply the project's targets where no explicit threshold was given (<c>--no-default-thresholds</c> turns this off).</summary>
    public bool DefaultThresholds { get; init; } = true;

    /// <summary>
    /// Every server to spread players over (a cluster's nodes); the first is <see cref="Target"/>. A player
    /// whose node dies reconnects to the next one in the list.
    /// </summary>
    public IReadOnlyList<Uri> Targets { get; init; } = [];

    /// <summary>The target of player <paramref name="index"/> (round robin over <see cref="Targets"/>).</summary>
    public Uri TargetFor(int index) => Targets.Count == 0 ? Target : Targets[index % Targets.Count];

    /// <summary>Reconnect with backoff when a connection drops (and log in again if the token is refused).</summary>
    public bool Reconnect { get; init; } = true;

    /// <summary>Reconnect delays (null: the SDK's 0, 1, 2, 5, 10, 20, 30 s); each ±20 % jitter.</summary>
    public IReadOnlyList<TimeSpan>? ReconnectDelays { get; init; }

    /// <summary>crowd: side of the square the festival fills, metres (cells are 200 m: 300 m spans ~4).</summary>
    public double AreaMeters { get; init; } = 300;

    /// <summary>crowd, session: chance per accepted update to throw at a creature within <see cref="CaptureRangeMeters"/>.</summary>
    public double CaptureProbability { get; init; } = 0.1;

    /// <summary>crowd, session: throw only at creatures this close, metres (the server's encounter range is 50 m).</summary>
    public double CaptureRangeMeters { get; init; } = 40;

    /// <summary>session: location updates per walk (a visit walks twice, before and after the reconnect).</summary>
    public int SessionSteps { get; init; } = 5;

    /// <summary>session: time between a visitor's updates.</summary>
    public TimeSpan SessionStepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The hub URL.</summary>
    public Uri HubUrl => GameApi.HubUrl(Target);
}

/// <summary>The project's performance targets (docs/loadtests.md): the default thresholds.</summary>
public static class Targets
{
    /// <summary>Ack latency p99, ms.</summary>
    public const double AckP99Ms = 50;

    /// <summary>Failed invocations, percent.</summary>
    public const double FailPercent = 0;

    /// <summary>Push delivery latency p99 (spawn to receipt), ms.</summary>
    public const double PushP99Ms = 250;
}
