namespace HeavyTail.Ode.Solvers;

public enum SolveResult
{
    Success,
    MaxStepsReached,
    /// <summary>The state became NaN or ±∞ (a diverging run), or the step size underflowed while rejecting such steps.</summary>
    NonFiniteState,
    StepSizeTooSmall,
}

public sealed record SolveStats(int Steps, int Accepted, int Rejected, int FunctionEvaluations);

/// <summary>
/// The result of <see cref="Integrator.Solve"/>: saved times and values (states, or the observable the caller asked for), the
/// final time and state reached, counters and a result code. Never thrown for a numerical failure.
/// </summary>
public sealed record Solution(
    IReadOnlyList<double> Ts, IReadOnlyList<double[]> Values, double TFinal, double[] YFinal, SolveStats Stats, SolveResult Result)
{
    public bool Succeeded => Result == SolveResult.Success;
}

/// <summary>Times at which to save (sorted ascending within [t0, t1]); none means only the final state is returned.</summary>
public sealed record SaveAt(IReadOnlyList<double> Times)
{
    public static SaveAt None { get; } = new(Array.Empty<double>());
    public static SaveAt Of(params double[] times) => new(times);

    /// <summary>t0 and <paramref name="count"/> log-spaced times from t1·<paramref name="fromFraction"/> to t1.</summary>
    public static SaveAt LogSpaced(double t0, double t1, int count = 200, double fromFraction = 1e-6)
    {
        var ts = new List<double> { t0 };
        double a = Math.Log10(t1 * fromFraction), b = Math.Log10(t1);
        for (int i = 0; i < count; i++) ts.Add(i == count - 1 ? t1 : Math.Pow(10, a + (b - a) * i / (count - 1)));
        return new SaveAt(ts.Where(t => t >= t0).Distinct().OrderBy(t => t).ToArray());
    }
}
