using HeavyTail.Tests.Shared;
using FsCheck;
using FsCheck.Xunit;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Properties;
using HeavyTail.Analytic.Statistics;
using MathNet.Numerics.LinearAlgebra;

namespace HeavyTail.Analytic.Tests;

/// <summary>Problems up to d·c = 9·8 = 72 parameters (bias included), so every case has a dense Hessian to compare with.</summary>
public static class SpectrumArbitraries
{
    public static Arbitrary<ProblemCase> ProblemCase() => ProblemGenerators.Arbitrary(maxN: 16, maxD: 8, maxC: 8);
}

/// <summary>Lanczos, block Lanczos, stochastic Lanczos quadrature and Hutchinson against the dense Hessian (MathNet).</summary>
public class SpectrumTests
{
    private const string Seed = "(20240517,8191)";

    /// <summary>Eigenvalues of the dense Hessian, descending.</summary>
    private static double[] DenseSpectrum(LinearModel m, double[] w) =>
        HessianProperties.Eigenvalues(m.DenseHessian(w)).OrderByDescending(x => x).ToArray();

    /// <remarks>
    /// Tolerance: Lanczos stops when every Ritz residual is ≤ 1e-10·θ_1, and a residual bounds the distance to an
    /// eigenvalue, so |θ_i − λ_i| ≤ 1e-10·λ_1; MathNet's symmetric QR is backward stable, its eigenvalues are within
    /// ≈ p·u·‖H‖ ≤ 72·1.1e-16·λ_1 ≈ 1e-14·λ_1 of the exact ones. 1e-8·λ_1 (the issue's bound) holds with a factor 100 to spare.
    /// At W = 0 (weight scale 0) every eigenvalue of the cross-entropy Hessian is repeated c − 1 times, which the block size K
    /// must resolve: single-vector Lanczos would return the bulk in place of the copies.
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(SpectrumArbitraries)], MaxTest = 60, Pinned = Seed)]
    public bool Lanczos_top_k_matches_the_dense_eigendecomposition(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var dense = DenseSpectrum(m, w);
        int k = Math.Min(5, dense.Length);
        var top = Lanczos.Top(m.HessianOperator(w), m.ParameterCount, k, seed: 3);
        double scale = Math.Max(dense[0], 1e-300);
        if (!top.Converged || top.Values.Length != k) return false;
        for (int i = 0; i < k; i++) if (Math.Abs(top.Values[i] - dense[i]) > 1e-8 * scale) return false;
        return true;
    }

    [Fact]
    public void Lanczos_top_5_on_ht_random_m4_matches_dense_within_the_product_budget()
    {
        // d·c = 80·15 = 1200 (≤ 2000): W from 20 GD steps, so the spectrum is no longer degenerate; tolerance as above (p = 1200:
        // MathNet's error ≈ 1200·u·λ_1 ≈ 1.3e-13·λ_1).
        var prob = Problems.HtRandom(4, seed: 2);
        var m = LinearModel.Create(prob.Loss, prob.Data, Reference.Managed);
        var w = new double[m.ParameterCount]; var g = new double[w.Length];
        for (int step = 0; step < 20; step++) { m.LossAndGradient(w, g); for (int i = 0; i < w.Length; i++) w[i] -= 0.5 * g[i]; }
        var dense = DenseSpectrum(m, w);
        var top = Lanczos.Top(m.HessianOperator(w), m.ParameterCount, 5, seed: 1);
        Assert.True(top.Converged, $"residuals {string.Join(", ", top.ResidualNorms)}");
        Assert.True(top.MatVecs <= 60, $"{top.MatVecs} HVPs");
        for (int i = 0; i < 5; i++) Assert.True(Math.Abs(top.Values[i] - dense[i]) <= 1e-8 * dense[0], $"λ_{i + 1}: {top.Values[i]:R} vs {dense[i]:R}");
        // at W = 0 the top eigenvalue has multiplicity c − 1 = 14: all five copies
        var w0 = new double[m.ParameterCount];
        var dense0 = DenseSpectrum(m, w0);
        var top0 = Lanczos.Top(m.HessianOperator(w0), m.ParameterCount, 5, seed: 1);
        for (int i = 0; i < 5; i++) Assert.True(Math.Abs(top0.Values[i] - dense0[i]) <= 1e-8 * dense0[0], $"W = 0, λ_{i + 1}: {top0.Values[i]:R} vs {dense0[i]:R}");
    }

    /// <remarks>
    /// The estimate is a mean of S = 200 i.i.d. terms zᵀHz; its own standard error (sample SD/√S) estimates the SD of the mean,
    /// so a deviation beyond 4 SE has probability ≈ 6e-5 per case under the normal approximation. When H is diagonal the terms are
    /// all equal to tr(H) and the SE is 0: then only rounding is left, each zᵀHz a sum of ≤ p·(n + d + c) ≤ 72·32 products of size
    /// ≤ Σ|H_ii|-scale, so 1e-12·(1 + Σ|H_ii|) bounds it.
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(SpectrumArbitraries)], MaxTest = 60, Pinned = Seed)]
    public bool Hutchinson_is_within_four_standard_errors_of_the_exact_trace(ProblemCase p, int seed)
    {
        var m = p.Model(); var w = p.Weights();
        var traces = new double[m.C]; m.Curvature(w, null, traces);
        double exact = traces.Sum();
        var (est, se) = Hutchinson.Trace(m.HessianOperator(w), m.ParameterCount, 200, seed: seed);
        return Math.Abs(est - exact) <= 4 * se + 1e-12 * (1 + traces.Sum(Math.Abs));
    }

    /// <remarks>
    /// R = 12 runs of min(p, 12) steps. Exact references from the dense H: tr(H)/p and tr(H²)/p = ‖H‖_F²/p.
    /// The SLQ mean is (1/R)Σ_r v_rᵀHv_r with v_r = z_r/√p, z_r Rademacher: Var(zᵀHz) = 2(‖H‖_F² − Σ H_ii²), so its standard error
    /// is √(2(‖H‖_F² − ΣH_ii²)/R)/p; the second moment minus σ² is (1/R)Σ_r ‖Hv_r‖² with Var(zᵀH²z) = 2(‖H²‖_F² − Σ(H²)_ii²).
    /// Both are held to 4 standard errors plus the grid error: the Gaussian tails beyond the grid's 6σ margin hold 2e-9 of the mass,
    /// weighted by |t|^r ≤ (max|θ| + 7σ)^r there, so 1e-8·(max|θ| + 7σ)^r bounds it (the trapezoid error at spacing σ/4 is
    /// ~e^{−32π²}, nothing). The integral of the density is 1 within the same 1e-8.
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(SpectrumArbitraries)], MaxTest = 60, Pinned = Seed)]
    public bool Slq_density_integrates_to_one_and_its_moments_match_the_exact_traces(ProblemCase p, int seed)
    {
        var m = p.Model(); var w = p.Weights();
        int dim = m.ParameterCount, runs = 12, steps = Math.Min(dim, 12);
        var h = Matrix<double>.Build.DenseOfArray(m.DenseHessian(w));
        var h2 = h * h;
        double trace = h.Trace(), trace2 = h2.Trace();
        double diagSq = Enumerable.Range(0, dim).Sum(i => h[i, i] * h[i, i]), diag2Sq = Enumerable.Range(0, dim).Sum(i => h2[i, i] * h2[i, i]);
        double se1 = Math.Sqrt(Math.Max(0, 2 * (h.FrobeniusNorm() * h.FrobeniusNorm() - diagSq)) / runs) / dim;
        double se2 = Math.Sqrt(Math.Max(0, 2 * (h2.FrobeniusNorm() * h2.FrobeniusNorm() - diag2Sq)) / runs) / dim;
        var rho = SpectralDensity.Estimate(m.HessianOperator(w), dim, runs, steps, seed: seed);
        double reach = rho.Nodes.SelectMany(x => x).Max(Math.Abs) + 7 * rho.Sigma;
        // rounding of the Ritz values and weights: ≈ steps·u relative to λ_1 (and λ_1²), far below the 1e-10 floor used here
        double round1 = 1e-10 * (1 + reach), round2 = 1e-10 * (1 + reach * reach);
        return Math.Abs(rho.Moment(0) - 1) <= 1e-8
            && Math.Abs(rho.Moment(1) - trace / dim) <= 4 * se1 + 1e-8 * reach + round1
            && Math.Abs(rho.Moment(2) - rho.Sigma * rho.Sigma - trace2 / dim) <= 4 * se2 + 1e-8 * reach * reach + round2;
    }

    [Fact]
    public void Slq_density_of_a_known_spectrum_puts_its_mass_on_the_eigenvalues()
    {
        // A = diag(1, 2, …, 10) with steps = p = 10: the Ritz values are the eigenvalues and every weight is (1/√p)² = 1/10
        // (v = z/√10, z Rademacher), so each eigenvalue carries mass 1/10 of the density.
        var rho = SpectralDensity.Estimate((v, av) => { for (int i = 0; i < 10; i++) av[i] = (i + 1) * v[i]; }, 10, runs: 3, steps: 10, seed: 5, sigma: 0.05);
        foreach (var (nodes, weights) in rho.Nodes.Zip(rho.Weights))
        {
            Assert.Equal(Enumerable.Range(1, 10).Select(i => (double)i), nodes.OrderBy(x => x).Select(x => Math.Round(x, 10)));
            Assert.All(weights, t => Assert.Equal(0.1, t, 12));
        }
        Assert.Equal(1.0, rho.Moment(0), 8);
        Assert.Equal(5.5, rho.Moment(1), 8);
        Assert.Equal(0.05, rho.Sigma);
    }

    /// <remarks>
    /// Each block stops when its residual β_j|e_jᵀy| ≤ 1e-10·θ_k, which bounds |θ_k − λ_max(H_kk)| by 1e-10·θ_k; the dense block's
    /// eigenvalues (d ≤ 9) are within ≈ 9·u·λ of exact. Held to 1e-8 of the block's own λ_max, with a floor of 1e-12 of the
    /// largest block's for blocks whose curvature has underflowed to 0 (saturated softmax).
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(SpectrumArbitraries)], MaxTest = 60, Pinned = Seed)]
    public bool Block_top_eigenvalues_match_dense_block_eigendecompositions(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var blocks = Lanczos.TopPerBlock(m.BlockDiagonalHessianOperator(w), m.D, m.C, seed: 7);
        var dense = Enumerable.Range(0, m.C).Select(k => HessianProperties.Eigenvalues(m.DenseHessianBlock(w, k, k)).Max()).ToArray();
        double floor = 1e-12 * Math.Max(dense.Max(), 1e-300);
        if (!blocks.Converged) return false;
        for (int k = 0; k < m.C; k++) if (Math.Abs(blocks.Values[k] - dense[k]) > 1e-8 * Math.Max(dense[k], floor)) return false;
        return true;
    }

    /// <remarks>The same GEMMs as the HVP (sums of n and d terms), so the HVP test's 1e-11 relative to the largest entry holds.</remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 80, Pinned = Seed)]
    public bool Block_diagonal_product_matches_the_dense_diagonal_blocks(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights(); var v = p.Direction();
        var hv = new double[w.Length];
        m.BlockDiagonalHessianVectorProduct(w, v, hv);
        var h = m.DenseHessian(w);
        int d = m.D, c = m.C;
        var dense = new double[w.Length];
        for (int j = 0; j < d; j++)
            for (int a = 0; a < c; a++)
                for (int l = 0; l < d; l++) dense[j * c + a] += h[j * c + a, l * c + a] * v[l * c + a];
        return HessianProperties.RelativeDifference(hv, dense, floor: 1e-12) < 1e-11;
    }

    [Fact]
    public void Hessian_operator_equals_the_hvp_and_keeps_its_own_copy_of_W()
    {
        var prob = Problems.Zipf(7, 40, 5, 1.0, seed: 3);
        var m = LinearModel.Create(prob.Loss, prob.Data, Reference.Managed);
        var w = new double[m.ParameterCount]; new SeededRandom(2).FillGaussian(w);
        var v = new double[w.Length]; new SeededRandom(3).FillGaussian(v);
        var expected = new double[w.Length]; m.HessianVectorProduct(w, v, expected);
        var op = m.HessianOperator(w);
        Array.Clear(w);
        var hv = new double[w.Length]; op(v, hv);
        Assert.Equal(expected, hv);
        Assert.Throws<ArgumentException>(() => op(new double[3], hv));
    }

    [Fact]
    public void Top_per_block_of_a_known_block_diagonal_operator()
    {
        // blocks k = 0..2 of size 4: A_k = diag(k + 1, …) with λ_max = 4(k + 1); block 3 is zero (λ_max = 0)
        const int rows = 4, blocks = 4;
        var r = Lanczos.TopPerBlock((v, av) =>
        {
            for (int j = 0; j < rows; j++)
                for (int k = 0; k < blocks; k++) av[j * blocks + k] = k == 3 ? 0 : (j + 1) * (k + 1) * v[j * blocks + k];
        }, rows, blocks, seed: 1);
        Assert.True(r.Converged);
        Assert.Equal([4.0, 8.0, 12.0, 0.0], r.Values.Select(x => Math.Round(x, 12)));
        Assert.True(r.MatVecs <= rows);
    }
}
