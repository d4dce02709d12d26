using System.Globalization;
using GameBackend.LoadTests.Scenarios;
using GameBackend.LoadTests.SignalR;

namespace GameBackend.LoadTests.Cli;

/// <summary>One setting applied to <see cref="LoadTestOptions"/>; <see cref="Key"/> tells which (for "was it set explicitly?").</summary>
public sealed record OptionPatch(string Key, Func<LoadTestOptions, LoadTestOptions> Apply);

/// <summary>
/// The scenario settings shared by the command line (<c>--area-m 300</c>) and the JSON configuration
/// (<c>"areaMeters": 300</c>): one table, so both parse and validate a value the same way.
/// </summary>
public static class Settings
{
    /// <summary>A setting: its command-line flag, JSON key, whether the flag takes a value, and its parser.</summary>
    public sealed record Definition(string Flag, string JsonKey, bool TakesValue, Func<string, OptionPatch> Parse, string[]? Aliases = null);

    private static OptionPatch P(string key, Func<LoadTestOptions, LoadTestOptions> apply) => new(key, apply);

    /// <summary>Every scenario setting.</summary>
    public static readonly Definition[] All =
    [
        new("--target", "target", true, v =>
        {
            var targets = ParseTargets(v);
            return P("target", o => o with { Target = targets[0], Targets = targets.Count > 1 ? targets : [] });
        }, ["--targets"]),
        new("--protocol", "protocol", true, v => { var p = HubProtocols.Parse(v); return P("protocol", o => o with { Protocol = p }); }),
        new("--connections", "connections", true, v => { var n = PositiveInt("connections", v); return P("connections", o => o with { Connections = n }); }, ["--players"]),
        new("--rate", "rate", true, v => { var r = PositiveDouble("rate", v); return P("rate", o => o with { Rate = r }); }),
        new("--duration", "duration", true, v => { var d = PositiveDuration("duration", v); return P("duration", o => o with { Duration = d }); }),
        new("--warmup", "warmup", true, v => { var d = CommandLine.ParseDuration(v); return P("warmup", o => o with { WarmUp = d }); }),
        new("--seed", "seed", true, v => { var s = Int("seed", v); return P("seed", o => o with { Seed = s }); }),
        new("--server-pid", "serverPid", true, v => { var n = PositiveInt("server-pid", v); return P("serverPid", o => o with { ServerPid = n }); }),
        new("--max-in-flight", "maxInFlight", true, v => { var n = PositiveInt("max-in-flight", v); return P("maxInFlight", o => o with { MaxInFlight = n }); }),
        new("--setup-parallelism", "setupParallelism", true, v => { var n = PositiveInt("setup-parallelism", v); return P("setupParallelism", o => o with { SetupParallelism = n }); }),
        new("--skip-negotiation", "skipNegotiation", false, v => { var b = Bool("skipNegotiation", v); return P("skipNegotiation", o => o with { SkipNegotiation = b }); }),
        new("--no-reconnect", "reconnect", false, v => { var b = Bool("reconnect", v); return P("reconnect", o => o with { Reconnect = b }); }),
        new("--center", "centre", true, v =>
        {
            var parts = v.Split(',');
            if (parts.Length != 2 || !double.TryParse(parts[0], CultureInfo.InvariantCulture, out var lat) || !double.TryParse(parts[1], CultureInfo.InvariantCulture, out var lon)
                || lat is < -85 or > 85 || lon is < -180 or > 180)
            {
                throw new ArgumentException($"centre must be 'LAT,LON' in degrees, not '{v}'.");
            }

            return P("centre", o => o with { Centre = (lat, lon) });
        }, ["--centre"]),
        new("--creature-wait", "creatureWait", true, v => { var d = PositiveDuration("creature-wait", v); return P("creatureWait", o => o with { CreatureWait = d }); }),
        new("--admin-key", "adminKey", true, v => P("adminKey", o => o with { AdminKey = v })),
        new("--device-prefix", "devicePrefix", true, v => P("devicePrefix", o => o with { DevicePrefix = v.Length > 0 ? v : throw new ArgumentException("devicePrefix must not be empty.") })),
        new("--area-m", "areaMeters", true, v => { var m = PositiveDouble("area-m", v); return P("areaMeters", o => o with { AreaMeters = m }); }),
        new("--capture-probability", "captureProbability", true, v =>
        {
            var p = double.TryParse(v, CultureInfo.InvariantCulture, out var x) && x is >= 0 and <= 1 ? x : throw new ArgumentException($"captureProbability must be in [0, 1], not '{v}'.");
            return P("captureProbability", o => o with { CaptureProbability = p });
        }),
        new("--capture-range-m", "captureRangeMeters", true, v => { var m = PositiveDouble("capture-range-m", v); return P("captureRangeMeters", o => o with { CaptureRangeMeters = m }); }),
        new("--session-steps", "sessionSteps", true, v => { var n = PositiveInt("session-steps", v); return P("sessionSteps", o => o with { SessionSteps = n }); }),
        new("--session-step-interval", "sessionStepInterval", true, v => { var d = CommandLine.ParseDuration(v); return P("sessionStepInterval", o => o with { SessionStepInterval = d }); }),
        new("--max-p99-ms", "ackP99Ms", true, v => { var x = PositiveDouble("max-p99-ms", v); return P("ackP99Ms", o => o with { MaxP99Ms = x }); }),
        new("--max-fail-pct", "failPercent", true, v =>
        {
            var x = double.TryParse(v, CultureInfo.InvariantCulture, out var f) && f is >= 0 and <= 100 ? f : throw new ArgumentException($"max-fail-pct must be in [0, 100], not '{v}'.");
            return P("failPercent", o => o with { MaxFailPercent = x });
        }),
        new("--max-push-p99-ms", "pushP99Ms", true, v => { var x = PositiveDouble("max-push-p99-ms", v); return P("pushP99Ms", o => o with { MaxPushP99Ms = x }); }),
        new("--no-default-thresholds", "defaults", false, v => { var b = Bool("defaults", v); return P("defaults", o => o with { DefaultThresholds = b }); }),
    ];

    /// <summary>Keys that belong in a configuration file's <c>thresholds</c> object rather than its settings.</summary>
    public static readonly string[] ThresholdKeys = ["ackP99Ms", "failPercent", "pushP99Ms", "defaults"];

    /// <summary>Finds a setting by command-line flag.</summary>
    public static Definition? ByFlag(string flag) => All.FirstOrDefault(d => d.Flag == flag || (d.Aliases?.Contains(flag) ?? false));

    /// <summary>Finds a setting by JSON key.</summary>
    public static Definition? ByJsonKey(string key) => All.FirstOrDefault(d => d.JsonKey == key);

    /// <summary>The value a valueless flag stands for (<c>--no-reconnect</c> = reconnect false).</summary>
    public static string FlagValue(Definition d) => d.Flag.StartsWith("--no-", StringComparison.Ordinal) ? "false" : "true";

    /// <summary>Parses a comma-separated list of absolute http(s) URLs.</summary>
    public static IReadOnlyList<Uri> ParseTargets(string value)
    {
        var list = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => Uri.TryCreate(t, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)
                ? u : throw new ArgumentException($"target '{t}' is not an absolute http(s) URL."))
            .ToList();
        return list.Count > 0 ? list : throw new ArgumentException("target must name at least one URL.");
    }

    /// <summary>A duration that must be positive.</summary>
    public static TimeSpan PositiveDuration(string name, string value)
    {
        var d = CommandLine.ParseDuration(value);
        return d > TimeSpan.Zero ? d : throw new ArgumentException($"{name} must be positive, not '{value}'.");
    }

    internal static int Int(string name, string value) =>
        int.TryParse(value, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{name} must be an integer, not '{value}'.");

    internal static int PositiveInt(string name, string value) =>
        int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive integer, not '{value}'.");

    internal static double PositiveDouble(string name, string value) =>
        double.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0 && double.IsFinite(n) ? n : throw new ArgumentException($"{name} must be a positive number, not '{value}'.");

    private static bool Bool(string name, string value) =>
        bool.TryParse(value, out var b) ? b : throw new ArgumentException($"{name} must be true or false, not '{value}'.");
}
