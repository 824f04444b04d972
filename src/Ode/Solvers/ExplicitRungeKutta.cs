namespace HeavyTail.Ode.Solvers;

/// <summary>
/// An explicit Runge–Kutta solver over a <see cref="ButcherTableau"/>. Dense output: Hairer's 4th-order continuous
/// extension for Dormand–Prince 5(4), cubic Hermite interpolation (3rd order, from y and f at both ends) otherwise.
/// </summary>
public sealed class ExplicitRungeKutta
{
    public ExplicitRungeKutta(ButcherTableau tableau)
    {
        tableau.Check();
        Tableau = tableau;
    }

    public ButcherTableau Tableau { get; }
    public int Order => Tableau.Order;
    public string Name => Tableau.Name;

    public static ExplicitRungeKutta Euler { get; } = new(Tableaus.Euler);
    public static ExplicitRungeKutta Heun { get; } = new(Tableaus.Heun);
    public static ExplicitRungeKutta Rk4 { get; } = new(Tableaus.Rk4);
    public static ExplicitRungeKutta BogackiShampine32 { get; } = new(Tableaus.BogackiShampine32);
    public static ExplicitRungeKutta DormandPrince54 { get; } = new(Tableaus.DormandPrince54);

    public static ExplicitRungeKutta ByName(string name) => new(Tableaus.ByName(name));

    /// <summary>
    /// One step from (t, y) with k[0] = f(t, y) given: fills the stages k[1..s−1], writes y_{n+1} into
    /// <paramref name="yNew"/> and, when the tableau has one, the error estimate h·Σ(b_j − b̂_j)k_j into <paramref name="err"/>.
    /// Returns the number of function evaluations.
    /// </summary>
    internal int Step(Flows.IVectorField f, double t, double h, double[] y, double[][] k, double[] yNew, double[] tmp)
    {
        RunStages(f, t, h, y, k, tmp);
        StageCombination.Apply(y, h, Tableau.B, k, Tableau.Stages, yNew);
        return Tableau.Stages - 1;
    }

    /// <summary>As <see cref="Step"/>, also returning the RMS error norm of the embedded estimate (needs one).</summary>
    internal int StepWithError(Flows.IVectorField f, double t, double h, double[] y, double[][] k, double[] yNew, double[] tmp,
        double rtol, double atol, out double errorNorm)
    {
        RunStages(f, t, h, y, k, tmp);
        errorNorm = StageCombination.FinalizeWithError(y, h, Tableau.B, _errorWeights!, k, Tableau.Stages, yNew, rtol, atol);
        return Tableau.Stages - 1;
    }

    private void RunStages(Flows.IVectorField f, double t, double h, double[] y, double[][] k, double[] tmp)
    {
        var tab = Tableau;
        var rows = f is Flows.IRowSeparableField { IsRowSeparable: true } rs && y.Length % rs.RowLength == 0 ? rs : null;
        for (int i = 1; i < tab.Stages; i++)
        {
            if (rows != null)
            {
                StageCombination.ApplyAndEvaluate(y, h, tab.A[i], k, i, rows, t + tab.C[i] * h, k[i]);
                continue;
            }
            StageCombination.Apply(y, h, tab.A[i], k, i, tmp);
            f.Evaluate(t + tab.C[i] * h, tmp, k[i]);
        }
    }

    private double[]? _errorWeightsCache;
    private double[]? _errorWeights => Tableau.BEmbedded is null ? null
        : _errorWeightsCache ??= Tableau.B.Select((b, j) => b - Tableau.BEmbedded[j]).ToArray();

    /// <summary>The state at t + θh, 0 ≤ θ ≤ 1, from the step's data (f1 = f(t + h, y1)).</summary>
    internal void Interpolate(double theta, double h, double[] y0, double[] y1, double[][] k, double[] f1, double[] output)
    {
        int n = y0.Length;
        if (ReferenceEquals(Tableau, Tableaus.DormandPrince54) || Tableau.Name == "dopri5")
        {
            var d = Tableaus.DormandPrinceDense;
            double th1 = 1 - theta;
            for (int q = 0; q < n; q++)
            {
                double ydiff = y1[q] - y0[q];
                double bspl = h * k[0][q] - ydiff;
                double r4 = ydiff - h * f1[q] - bspl;
                double r5 = h * (d[0] * k[0][q] + d[2] * k[2][q] + d[3] * k[3][q] + d[4] * k[4][q] + d[5] * k[5][q] + d[6] * f1[q]);
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
