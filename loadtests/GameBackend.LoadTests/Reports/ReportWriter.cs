using System.Globalization;
using System.Net;
using System.Text;
using GameBackend.LoadTests.Engine;
using GameBackend.LoadTests.Scenarios;

namespace GameBackend.LoadTests.Reports;

/// <summary>Writes a <see cref="RunResult"/> as txt, md, csv and a self-contained html page.</summary>
public static class ReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the requested formats; returns the paths written.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(RunResult result, string folder, string baseName, IEnumerable<ReportFormat> formats, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        foreach (var format in formats.Distinct())
        {
            var (ext, text) = format switch
            {
                ReportFormat.Txt => ("txt", Text(result)),
                ReportFormat.Md => ("md", Markdown(result)),
                ReportFormat.Csv => ("csv", Csv(result)),
                ReportFormat.Html => ("html", Html(result)),
                _ => throw new ArgumentOutOfRangeException(nameof(formats)),
            };
            var path = Path.Combine(folder, $"{baseName}.{ext}");
            await File.WriteAllTextAsync(path, text, cancellationToken);
            files.Add(path);
        }

        return files;
    }

    /// <summary>One row of the summary table: a scenario or step, ok or fail.</summary>
    internal sealed record Row(string Scenario, string Step, string Kind, RequestStats Stats);

    internal static IEnumerable<Row> Rows(ScenarioStats s)
    {
        yield return new Row(s.Name, "", "ok", s.Ok);
        yield return new Row(s.Name, "", "fail", s.Fail);
        foreach (var step in s.Steps)
        {
            yield return new Row(s.Name, step.Name, "ok", step.Ok);
            yield return new Row(s.Name, step.Name, "fail", step.Fail);
        }
    }

    private static readonly string[] Header =
        ["scenario", "step", "kind", "count", "rps", "p50 ms", "p75 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms", "bytes in", "bytes out", "status codes"];

    private static string[] Cells(Row r) =>
    [
        r.Scenario, r.Step == "" ? "(all)" : r.Step, r.Kind,
        r.Stats.Count.ToString(Inv), F(r.Stats.Rps, 1),
        F(r.Stats.Latency.Percent50), F(r.Stats.Latency.Percent75), F(r.Stats.Latency.Percent95),
        F(r.Stats.Latency.Percent99), F(r.Stats.Latency.Percent999), F(r.Stats.Latency.MaxMs), F(r.Stats.Latency.MeanMs),
        r.Stats.BytesIn.ToString(Inv), r.Stats.BytesOut.ToString(Inv), Codes(r.Stats.StatusCodes),
    ];

    private static string Summary(LatencyStats l) => $"p50 {F(l.Percent50)} ms, p99 {F(l.Percent99)} ms, max {F(l.MaxMs)} ms";

    internal static string F(double v, int digits = 3) => v.ToString("F" + digits.ToString(Inv), Inv);

    private static string Codes(IReadOnlyDictionary<string, long> codes) =>
        string.Join(' ', codes.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}={kv.Value}"));

    private static IEnumerable<(string Key, string Value)> Facts(RunResult r)
    {
        yield return ("started", r.StartedAt.ToString("u", Inv));
        foreach (var kv in r.Info.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            yield return (kv.Key, kv.Value);
        }

        yield return ("result", r.Passed ? "PASSED" : "FAILED");
        yield return ("client cpu", $"{r.Cpu.ClientCpu.TotalSeconds.ToString("F2", Inv)} s = {F(r.Cpu.ClientMicrosPerMessage, 1)} µs/message");
        yield return ("client gc", $"{F(r.Cpu.ClientAllocatedBytesPerMessage, 0)} B allocated/message, collections {r.Cpu.ClientCollections.Gen0}/{r.Cpu.ClientCollections.Gen1}/{r.Cpu.ClientCollections.Gen2}, paused {r.Cpu.ClientGcPause.TotalMilliseconds.ToString("F0", Inv)} ms");
        if (r.Cpu.ServerCpu is { } server)
        {
            yield return ("server cpu", $"{server.TotalSeconds.ToString("F2", Inv)} s = {F(r.Cpu.ServerMicrosPerMessage ?? 0, 1)} µs/message");
        }

        if (r.Cpu.ServerAllocatedBytesPerMessage is { } allocated)
        {
            yield return ("server allocated", $"{F(allocated, 0)} B/message ({(r.Cpu.ServerAllocatedBytes ?? 0) / 1048576.0:F1} MiB, dotnet_gc_heap_total_allocated_bytes from /metrics)");
        }

        if (r.Cpu.BytesToClientPerMessage > 0 || r.Cpu.BytesFromClientPerMessage > 0)
        {
            yield return ("bytes per message", $"{F(r.Cpu.BytesToClientPerMessage, 0)} B to the client (acks + pushes), {F(r.Cpu.BytesFromClientPerMessage, 0)} B from it");
        }

        if (r.Cpu.ServerRssBeforeBytes is { } before && r.Cpu.ServerRssAfterBytes is { } after)
        {
            yield return ("server rss", $"{before / 1048576.0:F1} MiB -> {after / 1048576.0:F1} MiB");
        }

        foreach (var s in r.Scenarios)
        {
            yield return ($"{s.Name} duration", $"{s.Duration.TotalSeconds.ToString("F1", Inv)} s, fail {F(s.FailPercent, 2)} %, client.overload {s.Overloaded}");
            if (s.ScheduleLag.Count > 0)
            {
                yield return ($"{s.Name} schedule lag", $"p50 {F(s.ScheduleLag.Percent50)} ms, p99 {F(s.ScheduleLag.Percent99)} ms, max {F(s.ScheduleLag.MaxMs)} ms (client-side, included in latency)");
            }

            if (s.Steps.FirstOrDefault(x => x.Name == ScenarioThresholds.PushStep) is { } push)
            {
                yield return ($"{s.Name} push delivery", $"{Summary(push.Ok.Latency)} over {push.Ok.Count} deliveries (spawnedAt -> receipt, per watcher), duplicates {push.Fail.StatusCodes.GetValueOrDefault(CrowdScenario.Duplicate)}");
            }

            if (s.Steps.FirstOrDefault(x => x.Name == Reconnector.RecoveryStep) is { } recovery)
            {
                yield return ($"{s.Name} recovery", $"{Summary(recovery.Ok.Latency)} over {recovery.Ok.Count} losses (connection loss -> first accepted fix)");
            }

            if (s.Fail.StatusCodes.GetValueOrDefault(Reconnector.OutageStatus) is > 0 and var outage)
            {
                yield return ($"{s.Name} outage failures", $"{outage} of {s.Fail.Count} failures ({Reconnector.OutageStatus}: not sent or lost while reconnecting)");
            }

            foreach (var kv in s.Metrics)
            {
                yield return ($"{s.Name} {kv.Key}", kv.Value);
            }
        }

        foreach (var t in r.Thresholds)
        {
            yield return ($"threshold {t.Scenario}", $"{t.Description}: {(t.Passed ? "passed" : "FAILED")}{(t.Error is null ? "" : " (" + t.Error + ")")}");
        }

        foreach (var e in r.Errors)
        {
            yield return ("error", e);
        }
    }

    /// <summary>Plain-text report.</summary>
    public static string Text(RunResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("GameBackend load test");
        foreach (var (k, v) in Facts(r))
        {
            sb.Append(Inv, $"  {k,-28} {v}").AppendLine();
        }

        sb.AppendLine();
        var rows = r.Scenarios.SelectMany(Rows).Select(Cells).ToList();
        var widths = Header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(c => c[i].Length))).ToArray();
        sb.AppendLine(string.Join("  ", Header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
        {
            sb.AppendLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }

        sb.AppendLine();
        sb.AppendLine("Latency from the intended send time (open model); bytes in = received, out = sent.");
        return sb.ToString();
    }

    /// <summary>Markdown report.</summary>
    public static string Markdown(RunResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# GameBackend load test").AppendLine();
        sb.AppendLine("| fact | value |").AppendLine("| --- | --- |");
        foreach (var (k, v) in Facts(r))
        {
            sb.Append(Inv, $"| {k} | {v.Replace("|", "\\|", StringComparison.Ordinal)} |").AppendLine();
        }

        sb.AppendLine().AppendLine("## Requests").AppendLine();
        sb.AppendLine("| " + string.Join(" | ", Header) + " |");
        sb.AppendLine("|" + string.Concat(Enumerable.Repeat(" --- |", Header.Length)));
        foreach (var row in r.Scenarios.SelectMany(Rows).Select(Cells))
        {
            sb.AppendLine("| " + string.Join(" | ", row) + " |");
        }

        sb.AppendLine().AppendLine("Scenario latency is measured from the intended send time (coordinated omission corrected).");
        return sb.ToString();
    }

    /// <summary>CSV report: one row per scenario/step and ok/fail.</summary>
    public static string Csv(RunResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("scenario,step,kind,count,rps,p50_ms,p75_ms,p95_ms,p99_ms,p999_ms,max_ms,mean_ms,bytes_in,bytes_out,status_codes");
        foreach (var row in r.Scenarios.SelectMany(Rows).Select(Cells))
        {
            sb.AppendLine(string.Join(',', row.Select(CsvEscape)));
        }

        return sb.ToString();
    }

    private static string CsvEscape(string v) =>
        v.AsSpan().IndexOfAny("\",\n") >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;

    /// <summary>Self-contained html page: tables plus inline SVG charts of per-second latency and throughput.</summary>
    public static string Html(RunResult r)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>GameBackend load test</title>");
        sb.AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}" +
                      "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th{background:#f4f4f4}" +
                      "td:first-child,th:first-child{text-align:left}.fail{color:#b00}.pass{color:#070}svg{background:#fcfcfc;border:1px solid #ddd}</style></head><body>");
        sb.Append(Inv, $"<h1>GameBackend load test <span class=\"{(r.Passed ? "pass" : "fail")}\">{(r.Passed ? "passed" : "FAILED")}</span></h1>").AppendLine();
        sb.AppendLine("<table>");
        foreach (var (k, v) in Facts(r))
        {
            sb.Append(Inv, $"<tr><th>{E(k)}</th><td style=\"text-align:left\">{E(v)}</td></tr>").AppendLine();
        }

        sb.AppendLine("</table><h2>Requests</h2><table><tr>");
        foreach (var h in Header)
        {
            sb.Append(Inv, $"<th>{E(h)}</th>");
        }

        sb.AppendLine("</tr>");
        foreach (var row in r.Scenarios.SelectMany(Rows))
        {
            sb.Append(row.Kind == "fail" && row.Stats.Count > 0 ? "<tr class=\"fail\">" : "<tr>");
            foreach (var c in Cells(row))
            {
                sb.Append(Inv, $"<td>{E(c)}</td>");
            }

            sb.AppendLine("</tr>");
        }

        sb.AppendLine("</table>");
        foreach (var s in r.Scenarios)
        {
            sb.Append(Inv, $"<h2>{E(s.Name)}</h2>").AppendLine();
            sb.AppendLine(Chart("Latency per second (ms, from intended send time)", s.Timeline,
                [("p50", "#1f77b4", p => p.P50Ms), ("p99", "#d62728", p => p.P99Ms)]));
            sb.AppendLine(Chart("Throughput per second", s.Timeline,
                [("ok/s", "#2ca02c", p => p.OkCount / p.IntervalSeconds), ("fail/s", "#d62728", p => p.FailCount / p.IntervalSeconds)]));
        }

        sb.AppendLine("<p>Scenario latency is measured from the intended send time (coordinated omission corrected, as wrk2).</p></body></html>");
        return sb.ToString();
    }

    private static string Chart(string title, IReadOnlyList<TimelinePoint> points, (string Name, string Color, Func<TimelinePoint, double> Value)[] series)
    {
        const int W = 760, H = 220, L = 60, R = 20, T = 30, B = 30;
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" role=\"img\"><title>{WebUtility.HtmlEncode(title)}</title>");
        sb.Append(Inv, $"<text x=\"{L}\" y=\"18\" font-size=\"13\">{WebUtility.HtmlEncode(title)}</text>");
        var maxX = points.Count == 0 ? 1 : Math.Max(1, points.Max(p => p.Second));
        var maxY = points.Count == 0 ? 1 : Math.Max(1e-9, series.Max(s => points.Max(s.Value)));
        double X(double x) => L + (W - L - R) * x / maxX;
        double Y(double y) => H - B - (H - T - B) * y / maxY;
        sb.Append(Inv, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"#888\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"#888\"/>");
        for (var i = 0; i <= 4; i++)
        {
            var v = maxY * i / 4;
            sb.Append(Inv, $"<text x=\"{L - 4}\" y=\"{Y(v) + 4:F1}\" font-size=\"10\" text-anchor=\"end\">{FormatAxis(v)}</text>");
        }

        sb.Append(Inv, $"<text x=\"{W - R}\" y=\"{H - 8}\" font-size=\"10\" text-anchor=\"end\">{maxX:F0} s</text><text x=\"{L}\" y=\"{H - 8}\" font-size=\"10\">0 s</text>");
        var legendX = W - R - 160;
        foreach (var (name, color, value) in series)
        {
            if (points.Count > 0)
            {
                var path = string.Join(' ', points.Select(p => string.Create(Inv, $"{X(p.Second):F1},{Y(value(p)):F1}")));
                sb.Append(Inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{path}\"/>");
            }

            sb.Append(Inv, $"<rect x=\"{legendX}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{legendX + 14}\" y=\"17\" font-size=\"11\">{name}</text>");
            legendX += 70;
        }

        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string FormatAxis(double v) => v >= 100 ? v.ToString("F0", Inv) : v.ToString("0.##", Inv);
}
