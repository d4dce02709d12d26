namespace GameBackend.LoadTests.Engine;

/// <summary>One phase of load. Phases run one after another, in the order given.</summary>
public abstract record LoadSimulation
{
    private protected LoadSimulation() { }

    /// <summary>Open model at a fixed rate: <c>Rate</c> invocations every <c>Interval</c>, evenly spaced.</summary>
    public sealed record InjectPhase(double Rate, TimeSpan Interval, TimeSpan During) : LoadSimulation;

    /// <summary>Open model ramping linearly from the previous open-model rate (0 at first) to <c>Rate</c>.</summary>
    public sealed record RampingInjectPhase(double Rate, TimeSpan Interval, TimeSpan During) : LoadSimulation;

    /// <summary>Closed model: <c>Copies</c> workers, each running the scenario back to back.</summary>
    public sealed record KeepConstantPhase(int Copies, TimeSpan During) : LoadSimulation;

    /// <summary>Closed model ramping linearly from the previous number of copies (0 at first) to <c>Copies</c>.</summary>
    public sealed record RampingConstantPhase(int Copies, TimeSpan During) : LoadSimulation;

    /// <summary>Closed model: <c>Copies</c> workers share a budget of <c>Iterations</c> invocations.</summary>
    public sealed record IterationsForConstantPhase(int Copies, long Iterations) : LoadSimulation;

    /// <summary>No load.</summary>
    public sealed record PausePhase(TimeSpan During) : LoadSimulation;
}

/// <summary>Factory for load simulations, named as in NBomber.</summary>
public static class Simulation
{
    /// <summary>Open model: start <paramref name="rate"/> invocations per <paramref name="interval"/>, whatever the server does.</summary>
    public static LoadSimulation Inject(double rate, TimeSpan interval, TimeSpan during)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return new LoadSimulation.InjectPhase(rate, interval, during);
    }

    /// <summary>Open model ramping linearly to <paramref name="rate"/> over <paramref name="during"/>.</summary>
    public static LoadSimulation RampingInject(double rate, TimeSpan interval, TimeSpan during)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return new LoadSimulation.RampingInjectPhase(rate, interval, during);
    }

    /// <summary>Closed model with a fixed number of copies.</summary>
    public static LoadSimulation KeepConstant(int copies, TimeSpan during)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(copies);
        return new LoadSimulation.KeepConstantPhase(copies, during);
    }

    /// <summary>Closed model ramping linearly to <paramref name="copies"/>.</summary>
    public static LoadSimulation RampingConstant(int copies, TimeSpan during)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(copies);
        return new LoadSimulation.RampingConstantPhase(copies, during);
    }

    /// <summary>Closed model that stops after <paramref name="iterations"/> invocations in total.</summary>
    public static LoadSimulation IterationsForConstant(int copies, long iterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(copies, 0);
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        return new LoadSimulation.IterationsForConstantPhase(copies, iterations);
    }

    /// <summary>No load for <paramref name="during"/>.</summary>
    public static LoadSimulation Pause(TimeSpan during) => new LoadSimulation.PausePhase(during);
}

/// <summary>
/// The intended send times of an open-model phase whose rate ramps linearly from <c>r0</c> to <c>r1</c>
/// (per interval) over the phase. Invocation k is due when the cumulative count reaches k, i.e. the
/// first is due at t = 0. Pure maths, so the schedule is testable without a clock.
/// </summary>
internal readonly struct InjectSchedule
{
    private readonly double _r0; // invocations per second at t = 0
    private readonly double _slope; // change of invocations per second, per second
    private readonly double _during;

    public InjectSchedule(double rateFrom, double rateTo, TimeSpan interval, TimeSpan during)
    {
        _r0 = rateFrom / interval.TotalSeconds;
        _during = during.TotalSeconds;
        _slope = _during > 0 ? (rateTo / interval.TotalSeconds - _r0) / _during : 0;
    }

    /// <summary>Seconds from the phase start at which invocation <paramref name="k"/> is due; +∞ if never.</summary>
    public double TimeOf(long k)
    {
        if (k == 0)
        {
            return _r0 > 0 || _slope > 0 ? 0 : double.PositiveInfinity;
        }

        // Solve r0·t + slope·t²/2 = k for the smallest t >= 0.
        if (Math.Abs(_slope) < 1e-12)
        {
            return _r0 > 0 ? k / _r0 : double.PositiveInfinity;
        }

        var disc = _r0 * _r0 + 2 * _slope * k;
        if (disc < 0)
        {
            return double.PositiveInfinity;
        }

        var t = (-_r0 + Math.Sqrt(disc)) / _slope;
        return t >= 0 ? t : double.PositiveInfinity;
    }

    /// <summary>How many invocations are due in [0, <paramref name="seconds"/>] (including the one at 0).</summary>
    public long CountUpTo(double seconds)
    {
        long k = 0;
        while (TimeOf(k) <= seconds && TimeOf(k) < _during)
        {
            k++;
        }

        return k;
    }
}
