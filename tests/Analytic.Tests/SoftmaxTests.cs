using HeavyTail.Tests.Shared;
using System.Numerics.Tensors;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace HeavyTail.Analytic.Tests;

public class SoftmaxTests
{
    private static Gen<double[]> Logits => Gen.Choose(2, 8).SelectMany(c => Gen.ArrayOf(Gen.Choose(-20000, 20000).Select(v => v / 100.0), c));

    public static class LogitArbitraries
    {
        public static Arbitrary<double[]> Logits() => Arb.From(SoftmaxTests.Logits);
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(LogitArbitraries)], MaxTest = 200, Pinned = "(11,13)")]
    public bool Cross_entropy_is_invariant_to_adding_a_constant_to_all_logits(double[] z)
    {
        double shift = 1234.5;
        var zs = z.Select(v => v + shift).ToArray();
        for (int y = 0; y < z.Length; y++)
        {
            double a = Softmax.CrossEntropy(z, y), b = Softmax.CrossEntropy(zs, y);
            // z + shift rounds each logit to ~1e-13 absolute, so losses agree to that, relative where large.
            if (Math.Abs(a - b) > 1e-10 * Math.Max(1, a)) return false;
        }
        return true;
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(LogitArbitraries)], MaxTest = 200, Pinned = "(17,19)")]
    public bool Probabilities_sum_to_one_and_log_softmax_agrees(double[] z)
    {
        var p = new double[z.Length]; var lp = new double[z.Length];
        Softmax.Probabilities(z, p);
        Softmax.LogSoftmax(z, lp);
        if (Math.Abs(p.Sum() - 1) > 1e-14) return false;
        for (int j = 0; j < z.Length; j++)
            if (p[j] > 1e-300 && Math.Abs(Math.Log(p[j]) - lp[j]) > 1e-12 * Math.Max(1, Math.Abs(lp[j]))) return false;
        return true;
    }

    public static class FloatRowArbitraries
    {
        // c up to 70 covers rows shorter than one Vector512<float> (16), whole vectors and a scalar tail
        public static Arbitrary<(float[] Z, int Y)> Rows() => Arb.From(
            from c in Gen.Choose(2, 70)
            from z in Gen.ArrayOf(Gen.Choose(-5000, 5000).Select(v => v / 100f), c)
            from y in Gen.Choose(0, c - 1)
            select (z, y));
    }

    /// <summary>
    /// The float32 fused row pass against the double one on the same (float-rounded) logits. Error budget: float exp within
    /// 1.5·2⁻²³ relative (measured), the float lane sum ≲ (c/16 + 4)·2⁻²⁴ ≤ 5e-7, two float products 2·2⁻²⁴: so p_j and
    /// Σ_{j≠y} p_j to ≈ 8e-7 relative; ℓ = log1p(rest) inherits that relative error, and ℓ = (m − z_y) + log s (≥ log 2)
    /// an absolute 8e-7 ≤ 1.2e-6·ℓ. On top, the float difference z_j − m is rounded (|z_j − m|·2⁻²⁴ absolute, exact in
    /// double), which e^x turns into |z_j − m|·2⁻²⁴ relative (4e-6 measured at z_j − m ≈ −68). Checked at
    /// 2e-6 + |z_j − m|·6e-8 relative, plus 1e-37 absolute for float underflow. The loss and the y entry (−Σ_{j≠y} p_j, a sum
    /// of entries each carrying its own |z_j − m|·2⁻²⁴) take the largest |z_j − m|, the row's range: a fresh seed found
    /// c = 3, y the arg-max, z_j − m = −64, where the y entry −1.02e-28 is off by 3.8e-6 relative.
    /// </summary>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(FloatRowArbitraries)], MaxTest = 300, Pinned = "(23,29)")]
    public bool Float_cross_entropy_gradient_row_matches_the_double_row((float[] Z, int Y) row)
    {
        var (z, y) = row;
        var zf = (float[])z.Clone();
        var zd = z.Select(v => (double)v).ToArray();
        double lf = Softmax.CrossEntropyGradientInPlace(zf.AsSpan(), y, 1f);
        double ld = Softmax.CrossEntropyGradientInPlace(zd.AsSpan(), y, 1.0);
        float max = z.Max(), range = max - z.Min();
        if (Math.Abs(lf - ld) > (2e-6 + range * 6e-8) * ld) return false;
        for (int j = 0; j < z.Length; j++)
            if (Math.Abs(zf[j] - zd[j]) > (2e-6 + (j == y ? range : max - z[j]) * 6e-8) * Math.Abs(zd[j]) + 1e-37) return false;
        return true;
    }

    [Fact]
    public void Log_softmax_is_stable_at_extreme_logits()
    {
        var z = new[] { 1e4, -1e4, 0.0, 1e4 - 1 };
        var lp = new double[4];
        Softmax.LogSoftmax(z, lp);
        Assert.All(lp, v => Assert.True(double.IsFinite(v)));
        double expected0 = -SpecialFunctions.Log1P(Math.Exp(-1));
        Assert.Equal(expected0, lp[0], 14);
        Assert.Equal(-2e4 + expected0, lp[1], 9);
        Assert.Equal(Math.Log(Math.Exp(-1)) + expected0, lp[3], 13);
        Assert.Equal(1e4 + Math.Log(2), Softmax.LogSumExp([1e4, 1e4]), 9);
        Assert.Equal(-1e4 + Math.Log(2), Softmax.LogSumExp([-1e4, -1e4]), 9);
        Assert.Equal(2e4, Softmax.CrossEntropy([1e4, -1e4], 1));
        Assert.Equal(0.0, Softmax.CrossEntropy([-1e4, 1e4], 1));
        Assert.Equal(SpecialFunctions.Log1P(Math.Exp(-1)), Softmax.CrossEntropy([1e4, 1e4 - 1], 0), 15);
    }

    [Fact]
    public void Cross_entropy_keeps_relative_accuracy_at_huge_margins()
    {
        // ℓ = log(1 + e^{−M}) ≈ e^{−M}: at M = 690 the loss is ~1e-300 and must not round to 0.
        foreach (double margin in new[] { 40.0, 100.0, 400.0, 690.0 })
        {
            double loss = Softmax.CrossEntropy([margin, 0.0], 0);
            double exact = Math.Exp(-margin); // log1p(x) = x to double precision for x < 1e-17
            Assert.True(Math.Abs(loss - exact) <= 1e-15 * exact, $"margin {margin}: {loss} vs {exact}");
            var g = new[] { margin, 0.0 };
            double l2 = Softmax.CrossEntropyGradientInPlace(g, 0, 1.0);
            var pz = new[] { margin, 0.0 };
            double rest = Softmax.ProbabilitiesInPlace(pz, out int amax);
            Assert.Equal(0, amax);
            Assert.Equal(loss, l2);
            // 1 − p_y = Σ_{j≠y} p_j, never rounded to zero.
            Assert.True(Math.Abs(-g[0] - exact) <= 1e-15 * exact);
            Assert.True(Math.Abs(rest - exact) <= 1e-15 * exact);
        }
    }

    [Fact]
    public void Log1P_and_ExpM1_are_accurate_for_tiny_arguments()
    {
        foreach (double x in new[] { 1e-300, 1e-20, 1e-10, 1e-6 })
        {
            double series = x - x * x / 2 + x * x * x / 3;
            Assert.True(Math.Abs(SpecialFunctions.Log1P(x) - series) <= 2e-16 * x, $"log1p({x})");
        }
        // log1p(0.1), log1p(1) = ln 2, log1p(10) = ln 11 (mpmath, 17 digits)
        foreach (var (x, exact) in new[] { (0.1, 0.095310179804324860), (1.0, 0.69314718055994531), (10.0, 2.3978952727983707) })
            Assert.True(Math.Abs(SpecialFunctions.Log1P(x) - exact) <= 3e-16 * exact, $"log1p({x})");
        Assert.Equal(Math.Log(1e300), SpecialFunctions.Log1P(1e300));
        Assert.Equal(1e-300, SpecialFunctions.ExpM1(1e-300));
        Assert.Equal(Math.Exp(2) - 1, SpecialFunctions.ExpM1(2), 13);
        Assert.True(Math.Abs(SpecialFunctions.ExpM1(1e-10) - (1e-10 + 5e-21)) <= 1e-25);
    }
}

public class VectorMathTests
{
    [Fact]
    public void Vector_exp_is_within_two_ulp_of_Math_Exp_over_the_whole_range()
    {
        // TensorPrimitives.Exp replaced the hand-written VectorMath.Exp (ProbabilitiesInPlace): the same contract holds.
        var rng = new SeededRandom(12);
        var x = Enumerable.Range(0, 20000).Select(_ => -750 + 1465 * rng.NextDouble())
            .Concat([0.0, -0.0, 1e-300, -1e-300, 709.78, -708.39, -745.2, 710, double.NaN, double.NegativeInfinity, double.PositiveInfinity]).ToArray();
        var y = new double[x.Length];
        TensorPrimitives.Exp(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Exp(x[i]);
            if (double.IsNaN(e)) { Assert.True(double.IsNaN(y[i])); continue; }
            if (e == 0 || double.IsInfinity(e) || e < 2.3e-308) { Assert.Equal(e, y[i]); continue; }
            Assert.True(Math.Abs(y[i] - e) <= 2 * Math.BitIncrement(e) - 2 * e + 1e-300 || Math.Abs(y[i] - e) <= 4.5e-16 * e, $"exp({x[i]:R}) = {y[i]:R}, Math.Exp {e:R}");
        }
    }

    [Fact]
    public void Sums_skip_the_excluded_index()
    {
        var x = Enumerable.Range(1, 37).Select(i => (double)i).ToArray();
        Assert.Equal(37 * 38 / 2, VectorMath.Sum(x));
        // ProbabilitiesInPlace returns Σ_{j≠a} p_j summed around the arg-max a: with p_j ∝ e^{z_j}, z_j = log j, the rest
        // is 1 − a/Σ j exactly up to rounding, whatever column a is.
        foreach (int a in new[] { 0, 4, 36 })
        {
            var z = x.Select(v => Math.Log(v)).ToArray();
            z[a] = Math.Log(100);
            double total = x.Sum() - x[a] + 100;
            double rest = Softmax.ProbabilitiesInPlace(z, out int amax);
            Assert.Equal(a, amax);
            Assert.True(Math.Abs(rest - (total - 100) / total) <= 1e-15, $"a = {a}: {rest}");
            Assert.True(Math.Abs(z.Sum() - 1) <= 1e-15);
        }
    }
}
