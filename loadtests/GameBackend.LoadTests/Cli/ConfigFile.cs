using System.Globalization;
using System.Text.Json;
using GameBackend.LoadTests.Engine;

namespace GameBackend.LoadTests.Cli;

/// <summary>A scenario named in a configuration file or on the command line.</summary>
/// <param name="Name">One of <see cref="CommandLine.Scenarios"/>.</param>
/// <param name="Weight">Share of the run's connections and rate (null: the scenario takes them whole).</param>
/// <param name="Settings">Settings of this scenario only (applied over the global ones).</param>
/// <param name="Simulations">Load simulations replacing the scenario's default one.</param>
public sealed record ScenarioEntry(string Name, double? Weight, IReadOnlyList<OptionPatch> Settings, IReadOnlyList<LoadSimulation>? Simulations);

/// <summary>What a <c>--config</c> file says.</summary>
public sealed record RunConfig
{
    /// <summary>Settings for every scenario (top-level target/protocol/seed, <c>globalSettings</c>, <c>thresholds</c>).</summary>
    public IReadOnlyList<OptionPatch> Global { get; init; } = [];
    /// <summary>Scenarios to run together.</summary>
    public IReadOnlyList<ScenarioEntry> Scenarios { get; init; } = [];
    /// <summary>Report folder.</summary>
    public string? ReportFolder { get; init; }
    /// <summary>Report base name.</summary>
    public string? ReportName { get; init; }
}

/// <summary>
/// Reads the NBomber-style JSON configuration (see docs/loadtests.md and loadtests/configs/). Strict: unknown
/// keys, wrong types and bad values are errors that name the offending path (e.g. <c>scenarios[1].settings.rate</c>).
/// Comments and trailing commas are allowed.
/// </summary>
public static class ConfigFile
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private static readonly string[] TopLevelSettings = ["target", "protocol", "seed", "serverPid"];

    /// <summary>Reads and validates a file; throws <see cref="ArgumentException"/> naming the file and the problem.</summary>
    public static RunConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"config {path}: cannot read it ({ex.Message}).");
        }

        try
        {
            return Parse(text);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"config {path}: {ex.Message}");
        }
    }

    /// <summary>Parses configuration text.</summary>
    public static RunConfig Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message.Split(" Path:")[0]}");
        }

        using (doc)
        {
            var root = Object(doc.RootElement, "(root)");
            var global = new List<OptionPatch>();
            var scenarios = new List<ScenarioEntry>();
            string? reportFolder = null, reportName = null;
            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "$schema" or "description":
                        break;
                    case var key when TopLevelSettings.Contains(key):
                        global.Add(Setting(key, p.Value, key));
                        break;
                    case "reportFolder":
                        reportFolder = String(p.Value, p.Name);
                        break;
                    case "reportName":
                        reportName = String(p.Value, p.Name);
                        break;
                    case "globalSettings":
                        global.AddRange(SettingsObject(p.Value, p.Name));
                        break;
                    case "thresholds":
                        global.AddRange(Thresholds(p.Value, p.Name));
                        break;
                    case "scenarios":
                        if (p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() == 0)
                        {
                            throw new ArgumentException("scenarios must be a non-empty array.");
                        }

                        var i = 0;
                        foreach (var s in p.Value.EnumerateArray())
                        {
                            scenarios.Add(ScenarioObject(s, $"scenarios[{i++}]"));
                        }

                        break;
                    default:
                        throw new ArgumentException($"unknown key '{p.Name}' (expected target, protocol, seed, serverPid, reportFolder, reportName, globalSettings, scenarios, thresholds).");
                }
            }

            if (scenarios.Count == 0)
            {
                throw new ArgumentException("scenarios is missing: name at least one scenario.");
            }

            CheckScenarioList(scenarios);
            return new RunConfig { Global = global, Scenarios = scenarios, ReportFolder = reportFolder, ReportName = reportName };
        }
    }

    /// <summary>Names must be known and unique; weights all-or-none, and not together with the scenario's own connections/rate.</summary>
    public static void CheckScenarioList(IReadOnlyList<ScenarioEntry> scenarios)
    {
        foreach (var s in scenarios)
        {
            if (!CommandLine.Scenarios.Contains(s.Name))
            {
                throw new ArgumentException($"unknown scenario '{s.Name}' (known: {string.Join(", ", CommandLine.Scenarios)}).");
            }

            if (s.Weight is not null && s.Settings.Any(p => p.Key is "connections" or "rate"))
            {
                throw new ArgumentException($"scenario '{s.Name}': give a weight or its own connections/rate, not both.");
            }
        }

        var duplicate = scenarios.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"scenario '{duplicate.Key}' is listed twice; each scenario runs once per run.");
        }

        var weighted = scenarios.Count(s => s.Weight is not null);
        if (weighted > 0 && weighted < scenarios.Count(s => !s.Settings.Any(p => p.Key is "connections")))
        {
            throw new ArgumentException("give every scenario a weight, or none (a scenario with its own connections needs none).");
        }
    }

    private static ScenarioEntry ScenarioObject(JsonElement e, string path)
    {
        Object(e, path);
        string? name = null;
        double? weight = null;
        var settings = new List<OptionPatch>();
        List<LoadSimulation>? simulations = null;
        foreach (var p in e.EnumerateObject())
        {
            var at = $"{path}.{p.Name}";
            switch (p.Name)
            {
                case "name":
                    name = String(p.Value, at);
                    break;
                case "weight":
                    weight = p.Value.ValueKind == JsonValueKind.Number && p.Value.GetDouble() is > 0 and var w && double.IsFinite(w)
                        ? w : throw new ArgumentException($"{at} must be a positive number.");
                    break;
                case "settings":
                    settings.AddRange(SettingsObject(p.Value, at));
                    break;
                case "thresholds":
                    settings.AddRange(Thresholds(p.Value, at));
                    break;
                case "loadSimulations":
                    simulations = Simulations(p.Value, at);
                    break;
                default:
                    throw new ArgumentException($"unknown key '{at}' (expected name, weight, settings, thresholds, loadSimulations).");
            }
        }

        return new ScenarioEntry(name ?? throw new ArgumentException($"{path}.name is missing."), weight, settings, simulations);
    }

    private static List<OptionPatch> SettingsObject(JsonElement e, string path)
    {
        Object(e, path);
        return e.EnumerateObject().Select(p =>
            Settings.ThresholdKeys.Contains(p.Name)
                ? throw new ArgumentException($"{path}.{p.Name} belongs in a 'thresholds' object.")
                : Setting(p.Name, p.Value, $"{path}.{p.Name}")).ToList();
    }

    private static List<OptionPatch> Thresholds(JsonElement e, string path)
    {
        Object(e, path);
        return e.EnumerateObject().Select(p =>
            Settings.ThresholdKeys.Contains(p.Name)
                ? Setting(p.Name, p.Value, $"{path}.{p.Name}")
                : throw new ArgumentException($"unknown threshold '{path}.{p.Name}' (expected {string.Join(", ", Settings.ThresholdKeys)}).")).ToList();
    }

    private static OptionPatch Setting(string key, JsonElement value, string path)
    {
        var definition = Settings.ByJsonKey(key)
            ?? throw new ArgumentException($"unknown setting '{path}' (known: {string.Join(", ", Settings.All.Select(d => d.JsonKey).Except(Settings.ThresholdKeys))}).");
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            // Lists: several targets, or a [lat, lon] centre.
            JsonValueKind.Array => string.Join(',', value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
            _ => throw new ArgumentException($"{path} must be a string, number, boolean or list, not {value.ValueKind.ToString().ToLowerInvariant()}."),
        };
        try
        {
            return definition.Parse(text);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            throw new ArgumentException($"{path}: {ex.Message}");
        }
    }

    private static List<LoadSimulation> Simulations(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0)
        {
            throw new ArgumentException($"{path} must be a non-empty array.");
        }

        var list = new List<LoadSimulation>();
        var i = 0;
        foreach (var item in e.EnumerateArray())
        {
            var at = $"{path}[{i++}]";
            var props = Object(item, at).EnumerateObject().ToList();
            if (props.Count != 1)
            {
                throw new ArgumentException($"{at} must have exactly one key: inject, rampingInject, keepConstant, rampingConstant, iterationsForConstant or pause.");
            }

            var (kind, body) = (props[0].Name, props[0].Value);
            at += "." + kind;
            try
            {
                list.Add(kind switch
                {
                    "inject" => Simulation.Inject(Number(body, at, "rate"), Duration(body, at, "interval", TimeSpan.FromSeconds(1)), Duration(body, at, "during")),
                    "rampingInject" => Simulation.RampingInject(Number(body, at, "rate"), Duration(body, at, "interval", TimeSpan.FromSeconds(1)), Duration(body, at, "during")),
                    "keepConstant" => Simulation.KeepConstant((int)Number(body, at, "copies"), Duration(body, at, "during")),
                    "rampingConstant" => Simulation.RampingConstant((int)Number(body, at, "copies"), Duration(body, at, "during")),
                    "iterationsForConstant" => Simulation.IterationsForConstant((int)Number(body, at, "copies"), (long)Number(body, at, "iterations")),
                    "pause" => Simulation.Pause(body.ValueKind == JsonValueKind.String ? Settings.PositiveDuration(at, body.GetString()!) : Duration(body, at, "during")),
                    _ => throw new ArgumentException($"unknown load simulation '{kind}' (inject, rampingInject, keepConstant, rampingConstant, iterationsForConstant, pause)."),
                });
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new ArgumentException($"{at}: {ex.Message.Split(Environment.NewLine)[0]}");
            }
        }

        return list;
    }

    private static double Number(JsonElement body, string path, string key)
    {
        Object(body, path);
        if (!body.TryGetProperty(key, out var v))
        {
            throw new ArgumentException($"{path}.{key} is missing.");
        }

        var n = v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), CultureInfo.InvariantCulture, out var s) ? s
            : double.NaN;
        return n > 0 && double.IsFinite(n) ? n : throw new ArgumentException($"{path}.{key} must be a positive number.");
    }

    private static TimeSpan Duration(JsonElement body, string path, string key, TimeSpan? fallback = null)
    {
        Object(body, path);
        if (!body.TryGetProperty(key, out var v))
        {
            return fallback ?? throw new ArgumentException($"{path}.{key} is missing.");
        }

        var text = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Number => v.GetRawText(),
            _ => throw new ArgumentException($"{path}.{key} must be a duration such as \"30s\"."),
        };
        return Settings.PositiveDuration($"{path}.{key}", text);
    }

    private static JsonElement Object(JsonElement e, string path) =>
        e.ValueKind == JsonValueKind.Object ? e : throw new ArgumentException($"{path} must be an object.");

    private static string String(JsonElement e, string path) =>
        e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } s ? s : throw new ArgumentException($"{path} must be a non-empty string.");
}
