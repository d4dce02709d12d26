using GameBackend.LoadTests.Engine;

namespace GameBackend.LoadTests.Scenarios;

/// <summary>
/// Thresholds from the options: an explicit value wins; otherwise the project's <see cref="Targets"/> apply
/// unless <see cref="LoadTestOptions.DefaultThresholds"/> is off. A run that misses one prints FAILED and exits 1.
/// </summary>
public static class ScenarioThresholds
{
    /// <summary>Push delivery step (crowd): from the server's <c>spawnedAt</c> to receipt, per watcher.</summary>
    public const string PushStep = "push";

    /// <summary>
    /// Failures (explicit or the 0 % target) and, when the scenario's requests are location updates, ack p99
    /// on <paramref name="ackStep"/> (null: the scenario row). Scenarios without an ack target (capture-storm,
    /// connect-storm, sponsor-api) get a p99 threshold only when one was given explicitly.
    /// </summary>
    public static Threshold[] For(LoadTestOptions options, bool ackTarget, string? ackStep = null, bool pushTarget = false)
    {
        var list = new List<Threshold>();
        var p99 = options.MaxP99Ms ?? (ackTarget && options.DefaultThresholds ? Targets.AckP99Ms : null);
        if (p99 is { } ms)
        {
            list.Add(ackStep is null ? Threshold.P99Below(ms) : StepP99Below(ackStep, ms));
        }

        var fail = options.MaxFailPercent ?? (options.DefaultThresholds ? Targets.FailPercent : null);
        if (fail is { } percent)
        {
            list.Add(Threshold.FailPercentAtMost(percent));
        }

        var push = options.MaxPushP99Ms ?? (pushTarget && options.DefaultThresholds ? Targets.PushP99Ms : null);
        if (pushTarget && push is { } pushMs)
        {
            list.Add(StepP99Below(PushStep, pushMs));
        }

        return [.. list];
    }

    /// <summary>A step's ok p99 must stay below <paramref name="ms"/> (a step that never ran passes).</summary>
    public static Threshold StepP99Below(string step, double ms) =>
        Threshold.Create(s => s.Steps.FirstOrDefault(x => x.Name == step) is not { } st || st.Ok.Latency.Percent99 < ms, $"{step} ok p99 < {ms} ms");
}
