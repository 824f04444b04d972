using HeavyTail.Tests.Shared;
using FsCheck.Xunit;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Testing;

namespace HeavyTail.Analytic.Tests;

/// <summary>The closed forms of the gradient and Hessian against finite differences and the dense Hessian.</summary>
public class DerivativeProperties
{
    private const string Seed = "(20240229,1447)";

    private static double[] FiniteDifferenceGradient(LinearModel m, double[] w, double h = 1e-5)
    {
        var g = new double[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            var wp = (double[])w.Clone(); wp[i] += h;
            var wm = (double[])w.Clone(); wm[i] -= h;
            g[i] = (m.Loss(wp) - m.Loss(wm)) / (2 * h);
        }
        return g;
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 80, Pinned = Seed)]
    public bool Gradient_matches_central_finite_differences(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var g = new double[w.Length];
        m.LossAndGradient(w, g);
        // Central differences: truncation O(h²·L''') ≈ 1e-10, rounding O(ε|L|/h) ≈ 1e-11 → 1e-6 leaves margin.
        return HessianProperties.RelativeDifference(g, FiniteDifferenceGradient(m, w), floor: 1.0) < 1e-6;
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 80, Pinned = Seed)]
    public bool Loss_from_gradient_pass_equals_loss(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var g = new double[w.Length];
        double l1 = m.LossAndGradient(w, g), l2 = m.Loss(w);
        return Math.Abs(l1 - l2) <= 1e-13 * Math.Max(1, Math.Abs(l2));
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 80, Pinned = Seed)]
    public bool Hvp_matches_finite_differences_of_the_gradient(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights(); var v = p.Direction();
        var hv = new double[w.Length];
        m.HessianVectorProduct(w, v, hv);
        const double h = 1e-5;
        var gp = new double[w.Length]; var gm = new double[w.Length];
        m.LossAndGradient(w.Select((x, i) => x + h * v[i]).ToArray(), gp);
        m.LossAndGradient(w.Select((x, i) => x - h * v[i]).ToArray(), gm);
        var fd = gp.Select((x, i) => (x - gm[i]) / (2 * h)).ToArray();
        return HessianProperties.RelativeDifference(hv, fd, floor: 1.0) < 1e-6;
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 80, Pinned = Seed)]
    public bool Hvp_matches_dense_hessian(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights(); var v = p.Direction();
        var hv = new double[w.Length];
        m.HessianVectorProduct(w, v, hv);
        var h = m.DenseHessian(w);
        var dense = new double[w.Length];
        for (int i = 0; i < w.Length; i++) for (int j = 0; j < w.Length; j++) dense[i] += h[i, j] * v[j];
        return HessianProperties.RelativeDifference(hv, dense, floor: 1e-12) < 1e-11;
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 80, Pinned = Seed)]
    public bool Diagonal_and_block_traces_match_dense_hessian(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var diag = new double[w.Length]; var traces = new double[m.C];
        m.Curvature(w, diag, traces);
        var h = m.DenseHessian(w);
        var denseDiag = Enumerable.Range(0, w.Length).Select(i => h[i, i]).ToArray();
        var denseTraces = new double[m.C];
        for (int j = 0; j < m.D; j++) for (int a = 0; a < m.C; a++) denseTraces[a] += h[j * m.C + a, j * m.C + a];
        return HessianProperties.RelativeDifference(diag, denseDiag, 1e-12) < 1e-12
            && HessianProperties.RelativeDifference(traces, denseTraces, 1e-12) < 1e-12
            && HessianProperties.DiagonalTraceMismatch(m, w) < 1e-12;
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 80, Pinned = Seed)]
    public bool Dense_hessian_is_symmetric_and_psd(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var h = m.DenseHessian(w);
        return HessianProperties.IsSymmetric(h, 1e-14) && HessianProperties.IsPositiveSemidefinite(h, 1e-10);
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(CrossEntropyArbitraries)], MaxTest = 80, Pinned = Seed)]
    public bool Softmax_hessian_annihilates_a_shift_of_all_columns(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var u = p.Direction(7).Take(m.D).ToArray();
        if (u.All(x => x == 0)) u[0] = 1;
        // Shifting every column by u leaves the loss unchanged ...
        var shifted = (double[])w.Clone();
        for (int j = 0; j < m.D; j++) for (int a = 0; a < m.C; a++) shifted[j * m.C + a] += u[j];
        bool lossSame = Math.Abs(m.Loss(shifted) - m.Loss(w)) <= 1e-12 * Math.Max(1, m.Loss(w));
        // ... so H·(u 1ᵀ) = 0 (relative to the Hessian's scale).
        return lossSame && HessianProperties.ColumnShiftResponse(m, w, u) < 1e-13;
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 40, Pinned = Seed)]
    public bool Dense_block_is_the_slice_of_the_dense_hessian(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var h = m.DenseHessian(w);
        int a = m.C - 1, b = 0;
        var block = m.DenseHessianBlock(w, a, b);
        for (int j = 0; j < m.D; j++) for (int l = 0; l < m.D; l++) if (block[j, l] != h[j * m.C + a, l * m.C + b]) return false;
        return true;
    }
}

public class GradientSignTests
{
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(CrossEntropyArbitraries)], MaxTest = 100, Pinned = "(41,43)")]
    public bool Gradient_sign_matches_the_sign_of_the_gradient_where_it_is_resolved(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var g = new double[w.Length]; m.LossAndGradient(w, g);
        var s = new double[w.Length]; m.GradientSign(w, s);
        double scale = g.Max(Math.Abs);
        for (int i = 0; i < g.Length; i++)
            if (Math.Abs(g[i]) > 1e-12 * scale && s[i] != Math.Sign(g[i])) return false;
        return true;
    }

    [Fact]
    public void Gradient_sign_survives_underflow_on_the_one_hot_model()
    {
        int c = 4;
        var data = HeavyTail.Analytic.Data.Problems.OneHot(c, 1.0).Data;
        var m = new SoftmaxCrossEntropyModel(data, Reference.Managed);
        var w = new double[c * c];
        for (int k = 0; k < c; k++) w[k * c + k] = 2000; // margin 2000: every p_kj (j ≠ k) underflows to 0
        var g = new double[c * c]; m.LossAndGradient(w, g);
        Assert.All(g, v => Assert.Equal(0.0, v));
        var s = new double[c * c]; m.GradientSign(w, s);
        for (int k = 0; k < c; k++)
            for (int j = 0; j < c; j++) Assert.Equal(j == k ? -1.0 : 1.0, s[k * c + j]);
    }
}
