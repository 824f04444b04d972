namespace HeavyTail.Ode.Solvers;

/// <summary>How a solve ended.</summary>
public enum SolveResult
{
    /// <summary>The end time t1 was reached.</summary>
    Success,
    /// <summary>The controller's step limit was reached before t1.</summary>
    MaxStepsReached,
    /// <summary>The state became NaN or ±∞ (a diverging run), or the step size underflowed while rejecting such steps.</summary>
    NonFiniteState,
    /// <summary>The adaptive step size fell below what t can resolve before t1.</summary>
    StepSizeTooSmall,
}

/// <summary>Counters of a solve: steps tried, accepted and rejected, and function evaluations f(t, y).</summary>
public sealed record SolveStats(int Steps, int Accepted, int Rejected, int FunctionEvaluations);

/// <summary>
/// The result of <see cref="Integrator.Solve"/>: saved times and values (states, or the observable the caller asked for), the
/// final time and state reached, counters and a result code. Never thrown for a numerical failure. Solved with
/// <see cref="SaveAt.Dense"/>, it also holds every accepted step's interpolant, and <see cref="Evaluate"/> gives y(t) anywhere.
/// </summary>
public sealed record Solution(
    IReadOnlyList<double> Ts, IReadOnlyList<double[]> Values, double TFinal, double[] YFinal, SolveStats Stats, SolveResult Result)
{
    /// <summary>True when the solve reached t1 (<see cref="SolveResult.Success"/>).</summary>
    public bool Succeeded => Result == SolveResult.Success;

    /// <summary>The accepted steps' interpolants; null unless solved with <see cref="SaveAt.Dense"/>.</summary>
    internal DenseTrajectory? Trajectory { get; init; }

    /// <summary>True when the solution keeps its interpolants (solved with <see cref="SaveAt.Dense"/>).</summary>
    public bool IsDense => Trajectory != null;

    /// <summary>
    /// The state y(t) (not the observable) from the solver's interpolant on the step containing t, for t in [t0, t_end], t_end the
    /// last accepted step's end (TFinal unless the solve stopped on a non-finite step). At a step end, and so at t0 and
    /// a saved time that is one, it is that step's state exactly; elsewhere the value a save at t would have stored.
    /// </summary>
    public double[] Evaluate(double t)
    {
        var dense = Trajectory ?? throw new ArgumentException("this solution keeps no interpolants; solve with SaveAt { Dense = true }.", nameof(t));
        if (!(t >= dense.TStart && t <= dense.TEnd))
            throw new ArgumentException($"t = {t} is outside the solved interval [{dense.TStart}, {dense.TEnd}].", nameof(t));
        return dense.Evaluate(t);
    }
}

/// <summary>
/// Times at which to save (sorted ascending within [t0, t1]); none means only the final state is returned.
/// <see cref="Dense"/> (diffrax's SaveAt(dense=True)) also keeps every step's interpolant for <see cref="Solution.Evaluate"/>.
/// </summary>
public sealed record SaveAt(IReadOnlyList<double> Times)
{
    /// <summary>Save nothing along the way: only the final state is returned.</summary>
    public static SaveAt None { get; } = new(Array.Empty<double>());
    /// <summary>Save at the given times (ascending, within [t0, t1]).</summary>
    public static SaveAt Of(params double[] times) => new(times);

    /// <summary>Keep the interpolants: per step, the end state and f there plus the interior stages the interpolant reads.</summary>
    public bool Dense { get; init; }

    /// <summary>t0 and <paramref name="count"/> log-spaced times from t1·<paramref name="fromFraction"/> to t1.</summary>
    public static SaveAt LogSpaced(double t0, double t1, int count = 200, double fromFraction = 1e-6)
    {
        var ts = new List<double> { t0 };
        double a = Math.Log10(t1 * fromFraction), b = Math.Log10(t1);
        for (int i = 0; i < count; i++) ts.Add(i == count - 1 ? t1 : Math.Pow(10, a + (b - a) * i / (count - 1)));
        return new SaveAt(ts.Where(t => t >= t0).Distinct().OrderBy(t => t).ToArray());
    }

    internal void Check(double t0, double t1)
    {
        for (int i = 0; i < Times.Count; i++)
        {
            if (!(Times[i] >= t0 && Times[i] <= t1)) throw new ArgumentException($"save time {Times[i]} is outside [t0, t1] = [{t0}, {t1}].", "saveAt");
            if (i > 0 && !(Times[i] > Times[i - 1])) throw new ArgumentException($"save times must be strictly increasing (at index {i}: {Times[i]}).", "saveAt");
        }
    }
}

/// <summary>
/// The accepted steps of a solve, each kept as its interpolant's data: step i runs from Times[i] to Times[i + 1] with size
/// Sizes[i] (the size used, which for the last step may differ from the span in its last bits), between States[i] and
/// States[i + 1] with derivatives f at both ends, plus the interior stages the solver's interpolant reads.
/// </summary>
internal sealed class DenseTrajectory
{
    private readonly ExplicitRungeKutta _solver;
    private readonly int[] _interiorStages;
    private readonly List<double> _times = [], _sizes = [];
    private readonly List<double[]> _states = [], _derivatives = [];
    private readonly List<double[][]> _stages = [];

    public DenseTrajectory(ExplicitRungeKutta solver, double t0, double[] y0, double[] f0)
    {
        _solver = solver;
        _interiorStages = solver.InteriorDenseStages.ToArray();
        _times.Add(t0); _states.Add((double[])y0.Clone()); _derivatives.Add((double[])f0.Clone());
    }

    public double TStart => _times[0];
    public double TEnd => _times[^1];

    /// <summary>Keeps the accepted step of size h from the last end to tEnd (state's YNew, F1 and stages, before it advances).</summary>
    public void Add(double h, double tEnd, RungeKuttaState state)
    {
        var k = new double[state.K.Length][];
        k[0] = _derivatives[^1];
        foreach (int j in _interiorStages) k[j] = (double[])state.K[j].Clone();
        _stages.Add(k); _sizes.Add(h);
        _times.Add(tEnd); _states.Add((double[])state.YNew.Clone()); _derivatives.Add((double[])state.F1.Clone());
    }

    public double[] Evaluate(double t)
    {
        int i = _times.BinarySearch(t);
        if (i >= 0) return (double[])_states[i].Clone();
        int step = ~i - 1; // Times[step] < t < Times[step + 1]
        var y = new double[_states[0].Length];
        _solver.Interpolate((t - _times[step]) / _sizes[step], _sizes[step], _states[step], _states[step + 1], _stages[step], _derivatives[step + 1], y);
        return y;
    }
}

/// <summary>What a solve keeps: the values at the save times (interpolated within a step when needed) and, when dense, the steps.</summary>
internal sealed class SolutionRecorder
{
    private readonly ExplicitRungeKutta _solver;
    private readonly IReadOnlyList<double> _saves;
    private readonly Func<double, double[], double[]> _observe;
    private readonly List<double> _ts = [];
    private readonly List<double[]> _values = [];
    private readonly double[] _interpolated;
    private readonly DenseTrajectory? _trajectory;
    private int _nextSave;

    /// <summary>Starts at (t0, y0) with f0 in the state's K[0], saving the values due at t0.</summary>
    public SolutionRecorder(ExplicitRungeKutta solver, SaveAt saveAt, Func<double, double[], double[]> observe, double t0, RungeKuttaState state)
    {
        _solver = solver; _saves = saveAt.Times; _observe = observe;
        _interpolated = new double[state.Y.Length];
        if (saveAt.Dense) _trajectory = new DenseTrajectory(solver, t0, state.Y, state.K[0]);
        while (_nextSave < _saves.Count && _saves[_nextSave] == t0) Save(t0, state.Y);
    }

    /// <summary>
    /// An accepted step of size h from t to tEnd (t + h, or t1 for the last step), with y1 and f1 in the state: saves the
    /// values due in (t, tEnd] (y1 itself at tEnd, the interpolant at θ = (t_save − t)/h before it).
    /// </summary>
    public void Accept(double t, double h, double tEnd, RungeKuttaState state)
    {
        while (_nextSave < _saves.Count && _saves[_nextSave] <= tEnd)
        {
            double ts = _saves[_nextSave];
            if (ts == tEnd) Save(ts, state.YNew);
            else
            {
                _solver.Interpolate((ts - t) / h, h, state.Y, state.YNew, state.K, state.F1, _interpolated);
                Save(ts, _interpolated);
            }
        }
        _trajectory?.Add(h, tEnd, state);
    }

    public Solution Finish(SolveResult result, double t, double[] y, SolveStats stats) =>
        new(_ts.ToArray(), _values.ToArray(), t, (double[])y.Clone(), stats, result) { Trajectory = _trajectory };

    private void Save(double t, double[] y)
    {
        _ts.Add(t); _values.Add(_observe(t, y));
        _nextSave++;
    }
}
