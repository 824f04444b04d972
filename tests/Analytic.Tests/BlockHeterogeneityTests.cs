using HeavyTail.Tests.Shared;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Testing;
using HeavyTail.Analytic.Statistics;
using MathNet.Numerics.LinearAlgebra;

namespace HeavyTail.Analytic.Tests;

/// <summary>
/// JS⁰ (Zhang et al. 2024, arXiv 2402.16788) and the per-block SLQ behind it (<see cref="BlockHeterogeneity"/>) against
/// independent computations: the dense class blocks of the Hessian (MathNet) and a Jensen–Shannon divergence of Gaussians by
/// direct quadrature.
/// </summary>
public class BlockHeterogeneityTests
{
    private const string Seed = "(20240226,1667)";

    /// <remarks>
    /// With steps = d the Lanczos quadrature from v_k is the exact spectral measure of H_kk seen from v_k, so its moments
    /// Σ_j τ_j θ_j^m equal v_kᵀ H_kk^m v_k (computed here from the dense Hessian's block k, MathNet) for every m; m = 0..3 are
    /// checked, to 1e-8 of ‖H_kk‖^m (re-orthogonalised Lanczos on ≤ 5×5 blocks is accurate to a few ulps of ‖H‖).
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(CrossEntropyArbitraries)], MaxTest = 60, Pinned = Seed)]
    public bool Per_block_quadrature_moments_match_the_dense_blocks(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        int d = m.D, c = m.C;
        var h = m.DenseHessian(w);
        var q = BlockHeterogeneity.Quadratures(m, w, runs: 1, steps: d, seed: 5);
        var z = RademacherProbes.Draw(d, 1, 5, 1 / Math.Sqrt(d)).First();
        for (int k = 0; k < c; k++)
        {
            var block = Matrix<double>.Build.Dense(d, d, (i, j) => h[i * c + k, j * c + k]);
            var v = Vector<double>.Build.DenseOfArray(z);
            double scale = Math.Max(block.L2Norm(), 1e-300);
            var hv = v;
            for (int power = 0; power <= 3; power++)
            {
                double exact = v.DotProduct(hv);
                double quad = q.Nodes[0][k].Zip(q.Weights[0][k], (t, tau) => tau * Math.Pow(t, power)).Sum();
                if (Math.Abs(exact - quad) > 1e-8 * Math.Pow(scale, power) + 1e-14) return false;
                hv = block * hv;
            }
        }
        return true;
    }

    [Fact]
    public void Equal_blocks_have_js0_zero_and_js_is_symmetric_bounded_and_ln2_for_disjoint_densities()
    {
        var grid = Enumerable.Range(0, 20001).Select(g => -10 + g * 1e-3).ToArray();
        double h = 1e-3;
        double[] Gauss(double mu, double s) => grid.Select(t => Math.Exp(-0.5 * (t - mu) * (t - mu) / (s * s)) / (s * Math.Sqrt(2 * Math.PI))).ToArray();
        var a = Gauss(0, 0.5); var b = Gauss(1, 0.5); var far = Gauss(8, 0.2);
        Assert.Equal(0, BlockHeterogeneity.JensenShannon(a, a, h), 15);
        Assert.Equal(BlockHeterogeneity.JensenShannon(a, b, h), BlockHeterogeneity.JensenShannon(b, a, h), 14);
        Assert.Equal(Math.Log(2), BlockHeterogeneity.JensenShannon(a, far, h), 6);
        // an independent quadrature of JS(N(0, s²), N(1, s²)): midpoint rule on a finer grid with the densities in closed form
        double s = 0.5, sum = 0, step = 2e-4;
        for (double t = -10 + step / 2; t < 10; t += step)
        {
            double p = Math.Exp(-0.5 * t * t / (s * s)) / (s * Math.Sqrt(2 * Math.PI)), r = Math.Exp(-0.5 * (t - 1) * (t - 1) / (s * s)) / (s * Math.Sqrt(2 * Math.PI)), mid = 0.5 * (p + r);
            sum += 0.5 * (p * Math.Log(p / mid) + r * Math.Log(r / mid)) * step;
        }
        Assert.Equal(sum, BlockHeterogeneity.JensenShannon(a, b, h), 8);
        var dens = new BlockHeterogeneity.BlockDensities(grid, [a, a, b], 0.5);
        // JS⁰ = (1/9)·(2·JS(a,b) + 2·JS(a,b)) for blocks (a, a, b)
        Assert.Equal(4 * BlockHeterogeneity.JensenShannon(a, b, h) / 9, BlockHeterogeneity.Js0(dens), 12);
    }

    [Fact]
    public void At_w0_every_class_block_of_the_softmax_model_has_the_same_density()
    {
        var prob = Data.Problems.OneHot(12, 1.5);
        var m = LinearModel.Create(prob.Loss, prob.Data, Reference.Managed);
        var (js0, dens, _) = BlockHeterogeneity.At(m, new double[m.ParameterCount], runs: 2, steps: 12);
        Assert.True(js0 <= 1e-12, $"JS⁰ = {js0}");
        foreach (var f in dens.Density) Assert.Equal(1, f.Sum() * (dens.Grid[1] - dens.Grid[0]), 10);
        // after a few GD steps the blocks differ
        var w = new double[m.ParameterCount]; var g = new double[w.Length];
        for (int t = 0; t < 50; t++) { m.LossAndGradient(w, g); for (int i = 0; i < w.Length; i++) w[i] -= 5 * g[i]; }
        var (after, _, _) = BlockHeterogeneity.At(m, w, runs: 2, steps: 12);
        Assert.True(after > 1e-6 && double.IsFinite(after), $"JS⁰ after GD = {after}");
    }
}
