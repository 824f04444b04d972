using HeavyTail.Ode.Flows;

namespace HeavyTail.Ode.Solvers;

/// <summary>
/// An explicit Runge–Kutta solver over a <see cref="ButcherTableau"/>: it steps and it interpolates. Dense output comes
/// from the tableau's data: its <see cref="ButcherTableau.DenseOutput"/> when present (Dormand–Prince 5(4): Hairer's
/// 4th-order continuous extension), otherwise cubic Hermite interpolation from y and f at both ends of the step.
/// </summary>
public sealed class ExplicitRungeKutta
{
    /// <summary>A solver over <paramref name="tableau"/>, after checking its order conditions (<see cref="ButcherTableau.Check"/>).</summary>
    public ExplicitRungeKutta(ButcherTableau tableau)
    {
        tableau.Check();
        Tableau = tableau;
        if (tableau.BEmbedded is { } bHat) _errorWeights = tableau.B.Select((b, j) => b - bHat[j]).ToArray();
        if (tableau.DenseOutput is { } dense)
        {
            _denseStages = Enumerable.Range(0, tableau.Stages).Where(j => dense.D[j] != 0).ToArray();
            if (_denseStages.Length == 0) throw new ArgumentException($"tableau {tableau.Name}: dense-output weights are all zero; omit them for Hermite interpolation.");
        }
    }

    /// <summary>The method's coefficients.</summary>
    public ButcherTableau Tableau { get; }
    /// <summary>The tableau's order.</summary>
    public int Order => Tableau.Order;
    /// <summary>The tableau's name (euler, heun, rk4, bosh3, dopri5).</summary>
    public string Name => Tableau.Name;

    /// <summary>Forward Euler, order 1.</summary>
    public static ExplicitRungeKutta Euler { get; } = new(Tableaus.Euler);
    /// <summary>Heun's method (explicit trapezoid), order 2.</summary>
    public static ExplicitRungeKutta Heun { get; } = new(Tableaus.Heun);
    /// <summary>The classical Runge–Kutta method, order 4.</summary>
    public static ExplicitRungeKutta Rk4 { get; } = new(Tableaus.Rk4);
    /// <summary>Bogacki–Shampine 3(2), FSAL, with an embedded error estimate.</summary>
    public static ExplicitRungeKutta BogackiShampine32 { get; } = new(Tableaus.BogackiShampine32);
    /// <summary>Dormand–Prince 5(4), FSAL, with an embedded error estimate and Hairer's 4th-order dense output.</summary>
    public static ExplicitRungeKutta DormandPrince54 { get; } = new(Tableaus.DormandPrince54);

    /// <summary>The solver of the named tableau (<see cref="Tableaus.ByName"/>).</summary>
    public static ExplicitRungeKutta ByName(string name) => new(Tableaus.ByName(name));

    /// <summary>e = b − b̂, the weights of the embedded error estimate h Σ e_j k_j; null without one.</summary>
    private readonly double[]? _errorWeights;

    /// <summary>The stages j with d_j ≠ 0 that the continuous extension reads, in order; null for Hermite interpolation.</summary>
    private readonly int[]? _denseStages;

    /// <summary>Interior stages 0 &lt; j &lt; s − 1 that a stored step must keep for <see cref="Interpolate"/> (k_0 = f0, k_{s−1} = f1 are kept anyway).</summary>
    internal IEnumerable<int> InteriorDenseStages => (_denseStages ?? []).Where(j => j > 0 && j < Tableau.Stages - 1);

    /// <summary>Buffers of one solve, with k[0] = f(t, y): allocates them and evaluates k[0] (one evaluation).</summary>
    internal RungeKuttaState Init(IVectorField f, double t0, double[] y0)
    {
        var state = new RungeKuttaState(Tableau.Stages, y0);
        f.Evaluate(t0, state.Y, state.K[0]);
        state.FunctionEvaluations++;
        return state;
    }

    /// <summary>
    /// One step of size h from (t, y) with k[0] = f(t, y): fills the stages k[1..s−1] and writes y1 = y + h Σ b_j k_j.
    /// Returns the error norm for the controller: with a tolerance, RMS_i(h Σ e_j k_{j,i} / (atol + rtol·max(|y_i|, |y1_i|)))
    /// (non-finite when a stage is); without one, 0 when y1 is finite and NaN otherwise.
    /// </summary>
    internal double Step(IVectorField f, double t, double h, RungeKuttaState state, ErrorTolerance? tolerance)
    {
        var tab = Tableau;
        var (y, k, yNew, tmp) = (state.Y, state.K, state.YNew, state.Tmp);
        var rows = f is IRowSeparableField { IsRowSeparable: true } rs && y.Length % rs.RowLength == 0 ? rs : null;
        for (int i = 1; i < tab.Stages; i++)
        {
            if (rows != null)
            {
                StageCombination.ApplyAndEvaluate(y, h, tab.A[i], k, i, rows, t + tab.C[i] * h, k[i]);
                continue;
            }
            StageCombination.Apply(y, h, tab.A[i], k, i, tmp, f.Threads);
            f.Evaluate(t + tab.C[i] * h, tmp, k[i]);
        }
        state.FunctionEvaluations += tab.Stages - 1;
        if (tolerance is { } tol)
        {
            var e = _errorWeights ?? throw new InvalidOperationException($"{Name} has no embedded error estimate.");
            return StageCombination.FinalizeWithError(y, h, tab.B, e, k, tab.Stages, yNew, tol.Rtol, tol.Atol, f.Threads);
        }
        StageCombination.Apply(y, h, tab.B, k, tab.Stages, yNew, f.Threads);
        return Analytic.VectorMath.AllFinite(yNew) ? 0 : double.NaN;
    }

    /// <summary>f1 = f(t + h, y1) of an accepted step: the last stage when FSAL, otherwise one evaluation (the next step's k[0] anyway).</summary>
    internal void EvaluateEnd(IVectorField f, double tEnd, RungeKuttaState state)
    {
        if (Tableau.IsFsal) Array.Copy(state.K[Tableau.Stages - 1], state.F1, state.F1.Length);
        else { f.Evaluate(tEnd, state.YNew, state.F1); state.FunctionEvaluations++; }
    }

    /// <summary>
    /// The state at t + θh, 0 ≤ θ ≤ 1, from a step's data: y0, y1, f1 = f(t + h, y1) and the stages k (k[0] = f(t, y0); only
    /// the stages the continuous extension reads need be present). The formulas are those of <see cref="DenseOutput"/>
    /// (with f1 standing for k_{s−1}) and, without it, y = h00 y0 + h10 h f0 + h01 y1 + h11 h f1 in the cubic Hermite basis.
    /// </summary>
    internal void Interpolate(double theta, double h, double[] y0, double[] y1, double[][] k, double[] f1, double[] output)
    {
        int n = y0.Length;
        if (_denseStages is { } js)
        {
            // h Σ_j d_j k_j over the stages with d_j ≠ 0, summed in stage order; f1 stands for the FSAL stage k_{s−1}.
            var d = Tableau.DenseOutput!.D;
            var stage = js.Select(j => j == Tableau.Stages - 1 ? f1 : k[j]).ToArray();
            double th1 = 1 - theta;
            for (int q = 0; q < n; q++)
            {
                double ydiff = y1[q] - y0[q];
                double bspl = h * k[0][q] - ydiff;
                double r4 = ydiff - h * f1[q] - bspl;
                double sum = d[js[0]] * stage[0][q];
                for (int i = 1; i < js.Length; i++) sum += d[js[i]] * stage[i][q];
                double r5 = h * sum;
                output[q] = y0[q] + theta * (ydiff + th1 * (bspl + theta * (r4 + th1 * r5)));
            }
            return;
        }
        double t2 = theta * theta, t3 = t2 * theta;
        double h00 = 2 * t3 - 3 * t2 + 1, h10 = t3 - 2 * t2 + theta, h01 = -2 * t3 + 3 * t2, h11 = t3 - t2;
        for (int q = 0; q < n; q++)
            output[q] = h00 * y0[q] + h10 * h * k[0][q] + h01 * y1[q] + h11 * h * f1[q];
    }
}

/// <summary>The tolerances of the error norm a step-size controller reads: scale_i = Atol + Rtol·max(|y_i|, |y1_i|).</summary>
public readonly record struct ErrorTolerance(double Rtol, double Atol);

/// <summary>
/// Buffers of one explicit Runge–Kutta solve: the state Y at the current t with K[0] = f(t, Y), the stages, the candidate
/// YNew and F1 = f(t + h, YNew), and the count of function evaluations.
/// </summary>
internal sealed class RungeKuttaState
{
    public RungeKuttaState(int stages, double[] y0)
    {
        int n = y0.Length;
        Y = (double[])y0.Clone(); YNew = new double[n]; Tmp = new double[n]; F1 = new double[n];
        K = new double[stages][];
        for (int i = 0; i < stages; i++) K[i] = new double[n];
    }

    public double[] Y { get; private set; }
    public double[] YNew { get; private set; }
    public double[] Tmp { get; }
    public double[] F1 { get; private set; }
    public double[][] K { get; }
    /// <summary>Function evaluations so far (a field, so a controller's start can add to it by reference).</summary>
    public int FunctionEvaluations;

    /// <summary>Moves to the accepted step's end: Y ← YNew, K[0] ← F1 (by swapping buffers).</summary>
    public void Advance()
    {
        (Y, YNew) = (YNew, Y);
        (K[0], F1) = (F1, K[0]);
    }
}
