using HeavyTail.Tests.Shared;
using FsCheck;
using FsCheck.Xunit;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Testing;
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

    /// <summary>x_s = z_sᵀ A z_s for every probe z_s of <see cref="RademacherProbes.Draw"/>, from a dense A.</summary>
    private static double[] DenseQuadraticForms(Matrix<double> a, int count, long seed, double scale) =>
        RademacherProbes.Draw(a.RowCount, count, seed, scale).Select(z => { var v = Vector<double>.Build.Dense(z); return v * (a * v); }).ToArray();

    /// <summary>Σ_{i≠j} |A_ij|: with z Rademacher, zᵀAz = tr(A) + Σ_{i≠j} A_ij z_i z_j lies within this of tr(A).</summary>
    private static double OffDiagonalAbsSum(Matrix<double> a)
    {
        double sum = 0;
        for (int i = 0; i < a.RowCount; i++) for (int j = 0; j < a.ColumnCount; j++) if (i != j) sum += Math.Abs(a[i, j]);
        return sum;
    }

    /// <summary>
    /// Hoeffding's half-width for the mean of <paramref name="count"/> independent terms each within ±<paramref name="halfRange"/>
    /// of their common mean: P(|mean − E| ≥ t) ≤ 2·exp(−count·t²/(2·halfRange²)) = 1e-9 at the t returned. No normality assumed,
    /// so a fresh seed fails a correct estimator with probability ≤ 1e-9 per case.
    /// </summary>
    private static double HoeffdingHalfWidth(double halfRange, int count) => halfRange * Math.Sqrt(2 * Math.Log(2e9) / count);

    /// <remarks>
    /// What the unbiasedness of both estimators rests on: every entry is exactly ±scale, and E[z] = 0, E[z zᵀ] = I. Each empirical
    /// mean of z_i and of z_i z_j (i &lt; j) over N = 4000 probes is a mean of ±1 terms, so by <see cref="HoeffdingHalfWidth"/> it is
    /// within 0.104 of 0 except with probability 1e-9 each (≤ 45 means per case here). The same seed gives the same probes.
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(MaxTest = 20, Pinned = Seed)]
    public bool Rademacher_probes_are_signs_with_identity_second_moment(long seed, bool scaled)
    {
        const int dim = 9, count = 4000;
        double scale = scaled ? 1 / 3.0 : 1;
        var z = RademacherProbes.Draw(dim, count, seed, scale).ToArray();
        if (z.Length != count || z.Any(v => v.Length != dim || v.Any(x => x != scale && x != -scale))) return false;
        double t = HoeffdingHalfWidth(1, count);
        for (int i = 0; i < dim; i++)
        {
            if (Math.Abs(z.Average(v => v[i] / scale)) > t) return false;
            for (int j = i + 1; j < dim; j++) if (Math.Abs(z.Average(v => v[i] * v[j] / (scale * scale))) > t) return false;
        }
        return RademacherProbes.Draw(dim, count, seed, scale).Zip(z).All(pair => pair.First.SequenceEqual(pair.Second));
    }

    /// <remarks>
    /// Two checks, neither of which a correct estimator fails by chance.
    /// (1) Arithmetic: with the same probes (<see cref="RademacherProbes"/>), x_s = z_sᵀHz_s from the dense H; the estimate is their
    /// mean and the standard error their sample one. Each x_s comes from the HVP (sums of ≤ n + d + c products, rounding
    /// ≈ 1e-13 of the summands' scale) and from MathNet (p ≤ 72 terms), both bounded by Σ|H_ij| plus the cancelling softmax terms
    /// (O(1) here), so 1e-10·(1 + Σ|H_ij|) bounds the gap; the SE is 1-Lipschitz in max_s |x_s − x_s'|, so the same bound holds.
    /// (2) Unbiasedness, distribution-free: x_s ∈ tr(H) ± Σ_{i≠j}|H_ij|, so by Hoeffding the mean of S = 200 is within
    /// <see cref="HoeffdingHalfWidth"/> of tr(H) (the exact trace from the closed-form block traces) except with probability 1e-9.
    /// A normal-approximation bound (4 sample SEs) failed on a fresh seed: for n = 1 the x_s are far from normal.
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(SpectrumArbitraries)], MaxTest = 60, Pinned = Seed)]
    public bool Hutchinson_is_the_mean_of_its_probes_and_within_a_hoeffding_bound_of_the_exact_trace(ProblemCase p, int seed)
    {
        const int samples = 200;
        var m = p.Model(); var w = p.Weights();
        var h = Matrix<double>.Build.DenseOfArray(m.DenseHessian(w));
        var traces = new double[m.C]; m.Curvature(w, null, traces);
        double exact = traces.Sum();
        var (est, se) = Hutchinson.Trace(m.HessianOperator(w), m.ParameterCount, samples, seed: seed);
        var x = DenseQuadraticForms(h, samples, seed, 1);
        double mean = x.Average(), seDense = Math.Sqrt(x.Sum(t => (t - mean) * (t - mean)) / ((samples - 1.0) * samples));
        double round = 1e-10 * (1 + h.Enumerate().Sum(Math.Abs));
        return Math.Abs(est - mean) <= round && Math.Abs(se - seDense) <= round
            && Math.Abs(est - exact) <= HoeffdingHalfWidth(OffDiagonalAbsSum(h), samples) + round;
    }

    /// <remarks>
    /// R = 200 runs of min(p, 12) steps from v_r = z_r/√p (<see cref="RademacherProbes"/> scaled by 1/√p). Three checks, none of
    /// which a correct estimator fails by chance.
    /// (1) Quadrature, run by run: Σ_j τ_rj = 1, Σ_j τ_rj θ_rj = v_rᵀHv_r and Σ_j τ_rj θ_rj² = ‖Hv_r‖² (Gauss quadrature is exact to
    /// degree 2·steps − 1, and to every degree once the Krylov space is invariant), against the dense H. Rounding: the HVP, the
    /// tridiagonal eigensolver (≈ steps·u·‖T‖) and MathNet, all ≪ 1e-10·(1 + ‖H‖₂^r) for degree r.
    /// (2) The smoothed density: its integral is 1, its mean is (1/R)Σ_r v_rᵀHv_r and its second moment minus σ² is
    /// (1/R)Σ_r ‖Hv_r‖², up to the grid error: the Gaussian tails beyond the grid's 6σ margin hold 2e-9 of the mass, weighted by
    /// |t|^r ≤ (max|θ| + 7σ)^r there, so 1e-8·(max|θ| + 7σ)^r bounds it (the trapezoid error at spacing σ/4 is ~e^{−32π²}).
    /// (3) Unbiasedness, distribution-free: v_rᵀHv_r ∈ tr(H)/p ± Σ_{i≠j}|H_ij|/p and ‖Hv_r‖² ∈ tr(H²)/p ± Σ_{i≠j}|(H²)_ij|/p, so by
    /// Hoeffding the means over R runs are within <see cref="HoeffdingHalfWidth"/> (0.46 of those ranges at R = 200; at
    /// R ≤ 43 the half-width exceeds the range and the check could not fail) of the exact tr(H)/p and ‖H‖_F²/p except with
    /// probability 1e-9. (A 4-standard-error bound at R = 12 failed on a fresh seed for n = 1, where 12 terms are far from normal.)
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(SpectrumArbitraries)], MaxTest = 60, Pinned = Seed)]
    public bool Slq_density_is_exact_quadrature_of_its_probes_and_its_moments_match_the_exact_traces(ProblemCase p, int seed)
    {
        var m = p.Model(); var w = p.Weights();
        int dim = m.ParameterCount, runs = 200, steps = Math.Min(dim, 12);
        var h = Matrix<double>.Build.DenseOfArray(m.DenseHessian(w));
        var h2 = h * h;
        double norm = h.L2Norm(), scale = 1 / Math.Sqrt(dim);
        var rho = SpectralDensity.Estimate(m.HessianOperator(w), dim, runs, steps, seed: seed);
        var first = DenseQuadraticForms(h, runs, seed, scale);
        var second = DenseQuadraticForms(h2, runs, seed, scale);
        double quad1 = 1e-10 * (1 + norm), quad2 = 1e-10 * (1 + norm * norm);
        for (int r = 0; r < runs; r++)
        {
            var (theta, tau) = (rho.Nodes[r], rho.Weights[r]);
            if (Math.Abs(tau.Sum() - 1) > 1e-12) return false;
            if (Math.Abs(theta.Zip(tau, (t, c) => c * t).Sum() - first[r]) > quad1) return false;
            if (Math.Abs(theta.Zip(tau, (t, c) => c * t * t).Sum() - second[r]) > quad2) return false;
        }
        double reach = rho.Nodes.SelectMany(x => x).Max(Math.Abs) + 7 * rho.Sigma;
        double grid1 = 1e-8 * reach + quad1, grid2 = 1e-8 * reach * reach + quad2;
        double moment1 = rho.Moment(1), moment2 = rho.Moment(2) - rho.Sigma * rho.Sigma;
        return Math.Abs(rho.Moment(0) - 1) <= 1e-8
            && Math.Abs(moment1 - first.Average()) <= grid1
            && Math.Abs(moment2 - second.Average()) <= grid2
            && Math.Abs(moment1 - h.Trace() / dim) <= HoeffdingHalfWidth(OffDiagonalAbsSum(h) / dim, runs) + grid1
            && Math.Abs(moment2 - h2.Trace() / dim) <= HoeffdingHalfWidth(OffDiagonalAbsSum(h2) / dim, runs) + grid2;
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
