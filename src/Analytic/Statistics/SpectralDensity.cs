namespace HeavyTail.Analytic.Statistics;

/// <summary>
/// The eigenvalue density of a symmetric operator by stochastic Lanczos quadrature (Ghorbani, Krishnan &amp; Xiao 2019, as
/// PyHessian computes it), smoothed by a Gaussian of standard deviation <see cref="Sigma"/> and tabulated on a grid.
/// </summary>
/// <remarks>
/// Run r starts Lanczos from v_r = z_r/√p (z_r Rademacher, so ‖v_r‖ = 1; v_r is probe r of
/// <see cref="RademacherProbes.Draw"/>(p, R, seed, 1/√p)) and gives Gauss nodes θ_rj and weights τ_rj
/// (<see cref="Lanczos.Quadrature"/>). The density is φ(t) = (1/R) Σ_r Σ_j τ_rj N(t; θ_rj, σ²): it integrates to 1
/// (Σ_j τ_rj = 1), its mean is (1/R) Σ_r v_rᵀ A v_r, an unbiased estimate of tr(A)/p, and its second moment is
/// (1/R) Σ_r ‖A v_r‖² + σ², with E‖A v‖² = tr(A²)/p. σ = <see cref="DefaultRelativeWidth"/>·(θ_max − θ_min) unless given (the span at least 1e-6·max|θ|).
/// The grid spans [θ_min − 6σ, θ_max + 6σ] (the Gaussian tails beyond hold 2·10⁻⁹ of the mass) with spacing σ/4, so the
/// trapezoid rule on it integrates φ and its moments to far below that (for a Gaussian the trapezoid error falls like
/// e^{−2π²(σ/h)²} = e^{−32π²}).
/// </remarks>
public sealed record SpectralDensity(double[] Grid, double[] Density, double Sigma, double[][] Nodes, double[][] Weights, int MatVecs)
{
    /// <summary>Default smoothing: σ = 1 % of the span of the Ritz values.</summary>
    public const double DefaultRelativeWidth = 0.01;

    /// <summary>Grid margin and spacing in units of σ (see the remarks).</summary>
    public const double Margin = 6, PointsPerSigma = 4;

    /// <summary>
    /// <paramref name="runs"/> Lanczos runs of <paramref name="steps"/> products each on a p-dimensional operator (steps ≤ p), seeded.
    /// </summary>
    public static SpectralDensity Estimate(Action<double[], double[]> matVec, int dimension, int runs, int steps, long seed = 0,
        double? sigma = null, double relativeWidth = DefaultRelativeWidth)
    {
        Guard.Positive(dimension, nameof(dimension)); Guard.Positive(runs, nameof(runs));
        if (steps < 1 || steps > dimension) throw new ArgumentException($"steps = {steps} must be between 1 and the dimension {dimension}.", nameof(steps));
        var nodes = new double[runs][]; var weights = new double[runs][];
        var probes = new RademacherProbes(seed, 1 / Math.Sqrt(dimension));
        var v = new double[dimension];
        for (int r = 0; r < runs; r++)
        {
            probes.Next(v);
            (nodes[r], weights[r]) = Lanczos.Quadrature(matVec, v, steps, seed: unchecked(seed * 7919 + r + 1));
        }
        double lo = nodes.SelectMany(x => x).Min(), hi = nodes.SelectMany(x => x).Max();
        // The span is at least 1e-6 of the largest |θ| (1 when every θ is 0), so σ and the grid spacing stay far above the
        // rounding of the grid points (ulp ≈ 2e-16·|θ|) even when all Ritz values coincide (A = λI).
        double magnitude = Math.Max(Math.Abs(lo), Math.Abs(hi));
        double span = Math.Max(hi - lo, magnitude > 0 ? 1e-6 * magnitude : 1.0);
        double s = sigma ?? relativeWidth * span;
        if (!(s > 0) || !double.IsFinite(s)) throw new ArgumentException($"smoothing width σ = {s} must be positive and finite.", nameof(sigma));
        double a = lo - Margin * s, b = hi + Margin * s, h = s / PointsPerSigma;
        int points = (int)Math.Ceiling((b - a) / h) + 1;
        var grid = new double[points]; var density = new double[points];
        for (int g = 0; g < points; g++) grid[g] = a + g * h;
        double norm = 1 / (runs * s * Math.Sqrt(2 * Math.PI));
        for (int r = 0; r < runs; r++)
            for (int j = 0; j < nodes[r].Length; j++)
            {
                double theta = nodes[r][j], tau = weights[r][j] * norm;
                // only the grid points within 40σ matter (e^{−800} underflows); the loop stays O(points) per node anyway
                for (int g = 0; g < points; g++)
                {
                    double z = (grid[g] - theta) / s;
                    if (Math.Abs(z) < 40) density[g] += tau * Math.Exp(-0.5 * z * z);
                }
            }
        return new SpectralDensity(grid, density, s, nodes, weights, runs * steps);
    }

    /// <summary>∫ t^r φ(t) dt by the trapezoid rule on the grid.</summary>
    public double Moment(int r)
    {
        double sum = 0;
        for (int g = 0; g + 1 < Grid.Length; g++)
            sum += 0.5 * (Grid[g + 1] - Grid[g]) * (Math.Pow(Grid[g], r) * Density[g] + Math.Pow(Grid[g + 1], r) * Density[g + 1]);
        return sum;
    }
}
