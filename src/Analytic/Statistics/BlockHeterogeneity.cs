using HeavyTail.Analytic.Models;
using MathNet.Numerics.LinearAlgebra;

namespace HeavyTail.Analytic.Statistics;

/// <summary>
/// The spectral density of every class block H_kk of a linear model's Hessian by stochastic Lanczos quadrature, and their
/// average pairwise Jensen–Shannon divergence JS⁰ (Zhang et al. 2024, "Why Transformers Need Adam: A Hessian Perspective",
/// arXiv 2402.16788, Section 3: JS⁰ = (1/L²) Σ_{l1} Σ_{l2} JS(ρ_{l1} ‖ ρ_{l2}) over the L blocks, measured at initialisation).
/// </summary>
/// <remarks>
/// Smoothing and grid as in the authors' code (github.com/zyushun/hessian-spectrum, language_models/hessian_spectrum.py,
/// <c>Hessian.__init__</c> and <c>interpolate</c>): each Ritz value is blurred by a Gaussian of standard deviation
/// σ = √(1e-5) (absolute, in the eigenvalues' units), the density is tabulated on 50 000 equally spaced points from the mean
/// over runs of the smallest Ritz value − 1 to the mean of the largest + 1, and normalised to integrate to 1 on that grid.
/// Not in that code (the repository has no JS function) and chosen here: one common grid for all blocks (the union of their
/// ranges, so two densities are compared point by point); JS(p ‖ q) = ½KL(p ‖ m) + ½KL(q ‖ m), m = (p + q)/2, as the integral
/// on the grid with natural logarithms (so 0 ≤ JS ≤ ln 2); the same Rademacher probes for every block (every block is d×d),
/// so that equal blocks get equal densities and JS⁰ measures the blocks, not the probes.
/// </remarks>
public static class BlockHeterogeneity
{
    /// <summary>The authors' smoothing: σ² = 1e-5.</summary>
    public static readonly double PaperSigma = Math.Sqrt(1e-5);

    /// <summary>The authors' grid: 50 000 points, margin 1 on each side.</summary>
    public const int PaperGridPoints = 50_000;
    /// <summary>The authors' grid margin: the density grid extends 1 beyond the smallest and largest Ritz value.</summary>
    public const double PaperMargin = 1.0;

    /// <summary>Per-block Gauss quadratures: Nodes[r][k], Weights[r][k] of run r on block k, and the products used.</summary>
    public sealed record BlockQuadratures(double[][][] Nodes, double[][][] Weights, int Products)
    {
        /// <summary>The number of blocks k.</summary>
        public int Blocks => Nodes[0].Length;
        /// <summary>The number of SLQ runs r.</summary>
        public int Runs => Nodes.Length;
    }

    /// <summary>Smoothed block densities on one common grid: Density[k][g].</summary>
    public sealed record BlockDensities(double[] Grid, double[][] Density, double Sigma);

    /// <summary>
    /// SLQ on every class block at once: <paramref name="runs"/> runs of <paramref name="steps"/> Lanczos steps (≤ d) on the
    /// block-diagonal Hessian operator; run r starts every block from the same Rademacher vector z_r/√d.
    /// </summary>
    public static BlockQuadratures Quadratures(LinearModel model, double[] w, int runs, int steps, long seed = 0)
    {
        int d = model.D, c = model.C;
        if (steps < 1 || steps > d) throw new ArgumentException($"steps = {steps} must be between 1 and the block size d = {d}.", nameof(steps));
        var op = model.BlockDiagonalHessianOperator(w);
        var probes = new RademacherProbes(seed, 1 / Math.Sqrt(d));
        var z = new double[d];
        var nodes = new double[runs][][]; var weights = new double[runs][][];
        int products = 0;
        for (int r = 0; r < runs; r++)
        {
            probes.Next(z);
            var start = new double[d * c];
            for (int j = 0; j < d; j++) for (int k = 0; k < c; k++) start[j * c + k] = z[j];
            (nodes[r], weights[r], int used) = QuadraturePerBlock(op, start, d, c, steps);
            products += used;
        }
        return new BlockQuadratures(nodes, weights, products);
    }

    /// <summary>
    /// Gauss quadrature of every block of a block-diagonal operator on d×c matrices (row-major, block k = column k) from the
    /// unit columns of <paramref name="start"/>: one product advances c single-vector Lanczos runs, each column fully
    /// re-orthogonalised (twice) against its own basis; a column whose residual vanishes (an invariant subspace: the spectral
    /// measure seen from it is exact) stops there. Returns per block the nodes θ_j and weights τ_j = (e_1ᵀ y_j)² of its
    /// tridiagonal T, with Σ τ_j θ_j^m = v_kᵀ A_k^m v_k for m ≤ 2·steps − 1.
    /// </summary>
    public static (double[][] Nodes, double[][] Weights, int Products) QuadraturePerBlock(Action<double[], double[]> blockDiagonalMatVec, double[] start,
        int rows, int blocks, int steps)
    {
        int p = rows * blocks;
        if (start.Length != p) throw new ArgumentException($"start has {start.Length} entries, expected d·c = {p}.", nameof(start));
        var v = (double[])start.Clone();
        var norm = Lanczos.ColumnNorms(v, rows, blocks);
        for (int j = 0; j < rows; j++) for (int k = 0; k < blocks; k++) v[j * blocks + k] /= norm[k];
        var w = new double[p];
        var basis = new List<double[]>();
        var alpha = new List<double>[blocks]; var beta = new List<double>[blocks];
        for (int k = 0; k < blocks; k++) { alpha[k] = new(); beta[k] = new(); }
        var active = Enumerable.Repeat(true, blocks).ToArray();
        var coef = new double[blocks];
        int products = 0;
        for (int step = 0; step < steps && active.Any(a => a); step++)
        {
            basis.Add((double[])v.Clone());
            blockDiagonalMatVec(v, w);
            products++;
            Lanczos.ColumnDots(w, v, rows, blocks, coef);
            for (int k = 0; k < blocks; k++) if (active[k]) alpha[k].Add(coef[k]);
            for (int pass = 0; pass < 2; pass++)
                foreach (var q in basis)
                {
                    Lanczos.ColumnDots(w, q, rows, blocks, coef);
                    for (int j = 0; j < rows; j++) for (int k = 0; k < blocks; k++) w[j * blocks + k] -= coef[k] * q[j * blocks + k];
                }
            var next = Lanczos.ColumnNorms(w, rows, blocks);
            double scale = 0;
            for (int k = 0; k < blocks; k++) if (active[k]) scale = Math.Max(scale, Math.Abs(alpha[k][^1]));
            for (int k = 0; k < blocks; k++)
            {
                if (!active[k]) { next[k] = 0; continue; }
                // an invariant subspace (or the last step): this block's quadrature is complete
                if (step == steps - 1 || next[k] <= 1e-12 * Math.Max(scale, double.Epsilon)) { active[k] = false; next[k] = 0; }
                else beta[k].Add(next[k]);
            }
            for (int j = 0; j < rows; j++)
                for (int k = 0; k < blocks; k++) v[j * blocks + k] = next[k] > 0 ? w[j * blocks + k] / next[k] : 0.0;
        }
        var nodes = new double[blocks][]; var weights = new double[blocks][];
        for (int k = 0; k < blocks; k++) (nodes[k], weights[k]) = Tridiagonal(alpha[k], beta[k]);
        return (nodes, weights, products);
    }

    private static (double[] Nodes, double[] Weights) Tridiagonal(List<double> alpha, List<double> beta)
    {
        int s = alpha.Count;
        var evd = Lanczos.TridiagonalEvd(alpha, beta);
        var nodes = new double[s]; var weights = new double[s];
        for (int j = 0; j < s; j++) { nodes[j] = evd.EigenValues[j].Real; weights[j] = evd.EigenVectors[0, j] * evd.EigenVectors[0, j]; }
        return (nodes, weights);
    }

    /// <summary>
    /// The blocks' densities φ_k(t) = (1/R) Σ_r Σ_j τ_rkj N(t; θ_rkj, σ²) on one grid of <paramref name="points"/> points from
    /// min_k(mean_r min_j θ_rkj) − margin to max_k(mean_r max_j θ_rkj) + margin, each normalised to integrate to 1 (Riemann sum, as the authors').
    /// </summary>
    public static BlockDensities Densities(BlockQuadratures q, double? sigma = null, int points = PaperGridPoints, double margin = PaperMargin)
    {
        double s = sigma ?? PaperSigma;
        int c = q.Blocks, runs = q.Runs;
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int k = 0; k < c; k++)
        {
            lo = Math.Min(lo, Enumerable.Range(0, runs).Average(r => q.Nodes[r][k].Min()));
            hi = Math.Max(hi, Enumerable.Range(0, runs).Average(r => q.Nodes[r][k].Max()));
        }
        double a = lo - margin, b = hi + margin, h = (b - a) / (points - 1);
        var grid = new double[points];
        for (int g = 0; g < points; g++) grid[g] = a + g * h;
        var density = new double[c][];
        double coeff = 1 / (s * Math.Sqrt(2 * Math.PI));
        for (int k = 0; k < c; k++)
        {
            var f = density[k] = new double[points];
            for (int r = 0; r < runs; r++)
                for (int j = 0; j < q.Nodes[r][k].Length; j++)
                {
                    double theta = q.Nodes[r][k][j], tau = q.Weights[r][k][j] * coeff / runs;
                    // only points within 40σ matter (e^{−800} underflows)
                    int g0 = Math.Max(0, (int)Math.Floor((theta - 40 * s - a) / h)), g1 = Math.Min(points - 1, (int)Math.Ceiling((theta + 40 * s - a) / h));
                    for (int g = g0; g <= g1; g++) { double z = (grid[g] - theta) / s; f[g] += tau * Math.Exp(-0.5 * z * z); }
                }
            double mass = f.Sum() * h;
            if (mass > 0) for (int g = 0; g < points; g++) f[g] /= mass;
        }
        return new BlockDensities(grid, density, s);
    }

    /// <summary>JS(p ‖ q) = ½∫p log(2p/(p+q)) + ½∫q log(2q/(p+q)) on a uniform grid of spacing h (natural log; 0·log 0 = 0).</summary>
    public static double JensenShannon(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double h)
    {
        if (p.Length != q.Length) throw new ArgumentException("p and q must be tabulated on the same grid.");
        double sum = 0;
        for (int g = 0; g < p.Length; g++)
        {
            double a = p[g], b = q[g], m = 0.5 * (a + b);
            if (a > 0) sum += 0.5 * a * Math.Log(a / m);
            if (b > 0) sum += 0.5 * b * Math.Log(b / m);
        }
        return Math.Max(0, sum * h);
    }

    /// <summary>JS⁰ = (1/L²) Σ_{l1} Σ_{l2} JS(ρ_{l1} ‖ ρ_{l2}) over the L blocks' densities.</summary>
    public static double Js0(BlockDensities densities)
    {
        int c = densities.Density.Length;
        double h = densities.Grid[1] - densities.Grid[0], sum = 0;
        for (int i = 0; i < c; i++)
            for (int j = i + 1; j < c; j++) sum += 2 * JensenShannon(densities.Density[i], densities.Density[j], h);
        return sum / ((double)c * c);
    }

    /// <summary>JS⁰ of a linear model's class blocks at W: SLQ (<paramref name="runs"/> × <paramref name="steps"/>), the authors' smoothing and grid.</summary>
    public static (double Js0, BlockDensities Densities, int Products) At(LinearModel model, double[] w, int runs, int steps, long seed = 0)
    {
        var q = Quadratures(model, w, runs, steps, seed);
        var dens = Densities(q);
        return (Js0(dens), dens, q.Products);
    }

    /// <summary>
    /// A scale-free variant (not the paper's): σ = <paramref name="relativeWidth"/> of the span of all blocks' Ritz values (at least
    /// 1e-6 of the largest |θ|), grid margin 6σ and spacing σ/4, as the toolkit's <see cref="SpectralDensity"/>. The paper's absolute
    /// σ = √1e-5 blurs together spectra that are small in absolute terms (a fitted class's block tends to 0); this one compares shapes.
    /// </summary>
    public static double RelativeJs0(BlockQuadratures q, double relativeWidth = SpectralDensity.DefaultRelativeWidth)
    {
        var all = q.Nodes.SelectMany(r => r).SelectMany(x => x).ToArray();
        double lo = all.Min(), hi = all.Max(), magnitude = Math.Max(Math.Abs(lo), Math.Abs(hi));
        double span = Math.Max(hi - lo, magnitude > 0 ? 1e-6 * magnitude : 1.0);
        double sigma = relativeWidth * span, margin = SpectralDensity.Margin * sigma;
        // the grid is built from the runs' mean extremes: span it with σ/4 spacing over the widest possible range
        int points = (int)Math.Ceiling((hi - lo + 2 * margin) / (sigma / SpectralDensity.PointsPerSigma)) + 1;
        return Js0(Densities(q, sigma, points, margin));
    }

    /// <summary>Both JS⁰: the paper's (absolute σ = √1e-5) and <see cref="RelativeJs0"/>, from the same quadratures.</summary>
    public static (double Js0, double RelativeJs0, BlockDensities Densities) Both(LinearModel model, double[] w, int runs, int steps, long seed = 0)
    {
        var q = Quadratures(model, w, runs, steps, seed);
        var dens = Densities(q);
        return (Js0(dens), RelativeJs0(q), dens);
    }
}
