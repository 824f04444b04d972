using HeavyTail.Tests.Shared;
using System.Numerics.Tensors;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit.Abstractions;

namespace HeavyTail.Analytic.Tests;

/// <summary>
/// The fused float64 exp-shift-sum kernel at every vector width this CPU runs (the widest it accelerates and each narrower
/// one, forced through the internal width parameter) against Math.Exp, the float32 one (TensorPrimitives composition)
/// against the double exp, and the TensorPrimitives routines that replaced hand-written ones (arg-max rules, finiteness).
/// </summary>
public class VectorMathKernelTests(ITestOutputHelper output)
{
    private const double U = 1.0 / (1L << 53);   // unit roundoff of float64
    private const double Uf = 1.0 / (1 << 24);   // unit roundoff of float32

    /// <summary>Widths (bits) the CPU runs natively: the widest chosen by VectorMath and every narrower one, then scalar.</summary>
    private static int[] Widths(int widest) => new[] { 512, 256, 128, 0 }.Where(w => w <= widest).ToArray();

    public static class RowArbitraries
    {
        // Rows of 0..300 logits in [−1000, 1000] with some −∞ (the masked label entry of the gradient pass), so blocks with
        // arguments below −708.4 take the Math.Exp fallback, and rows cover: shorter than a vector, whole vectors, tails.
        public static Arbitrary<(double[] Z, int ShiftPick)> Rows() => Arb.From(
            from c in Gen.Choose(0, 300)
            from z in Gen.ArrayOf(Gen.Frequency(
                (12, Gen.Choose(-100000, 100000).Select(v => v / 100.0)),
                (4, Gen.Choose(-3000, 3000).Select(v => v / 100.0)),
                (1, Gen.Constant(double.NegativeInfinity))), c)
            from pick in Gen.Choose(0, 3)
            select (z, pick));

        public static Arbitrary<float[]> FloatRows() => Arb.From(
            from c in Gen.Choose(0, 300)
            from z in Gen.ArrayOf(Gen.Frequency(
                (12, Gen.Choose(-12000, 12000).Select(v => v / 100f)),
                (1, Gen.Constant(float.NegativeInfinity))), c)
            select z);

        public static Arbitrary<double[]> TiedRows() => Arb.From(
            from c in Gen.Choose(1, 100)
            from z in Gen.ArrayOf(Gen.Choose(-3, 3).Select(v => (double)v), c)
            select z);
    }

    /// <summary>Σ of the terms with Neumaier compensation: error ≤ 2u·Σ|t| + O(n u²), the reference sum.</summary>
    private static double CompensatedSum(IEnumerable<double> terms)
    {
        double s = 0, comp = 0;
        foreach (double t in terms)
        {
            double u = s + t;
            comp += Math.Abs(s) >= Math.Abs(t) ? (s - u) + t : (t - u) + s;
            s = u;
        }
        return s + comp;
    }

    private static double Shift(double[] z, int pick)
    {
        var finite = z.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return 0;
        // the row maximum (the softmax case), or an arbitrary shift that sends terms to overflow or deep underflow
        return pick switch { 0 or 1 => finite.Max(), 2 => finite.Min(), _ => finite[0] };
    }

    /// <summary>
    /// Error budget. Each term: the polynomial exp is within 2 ulp of Math.Exp(x − shift) on the same rounded difference
    /// (Cody–Waite reduction and truncation ≈ 4e-18 relative, rounding in Horner form and the 2^k product), so within
    /// 2·2·u relative for normal results; subnormal, overflowing, ±∞ and NaN arguments are computed by Math.Exp itself and
    /// must match it exactly. Sum: n non-negative terms summed in any order have relative error ≤ γ_{n−1} ≤ (n−1)·u/(1 − n·u),
    /// on top of the terms' 4u: checked at (n + 5)·u of the compensated reference (2u) plus 1e-300 absolute.
    /// </summary>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(RowArbitraries)], MaxTest = 300, Pinned = "(31,37)")]
    public bool Double_exp_shift_sum_matches_Math_Exp_at_every_width((double[] Z, int ShiftPick) row)
    {
        var (z, pick) = row;
        double shift = Shift(z, pick);
        var reference = z.Select(v => Math.Exp(v - shift)).ToArray();
        double refSum = CompensatedSum(reference);
        foreach (int width in Widths(VectorMath.DoubleWidth))
        {
            var x = (double[])z.Clone();
            double s = VectorMath.ExpShiftSum(x, shift, width);
            for (int i = 0; i < x.Length; i++)
            {
                double e = reference[i];
                if (e == 0 || double.IsInfinity(e) || e < 2.3e-308) { if (x[i] != e) return false; continue; }
                if (Math.Abs(x[i] - e) > 4 * U * e) return false;
            }
            if (double.IsInfinity(refSum)) { if (s != refSum) return false; continue; }
            if (Math.Abs(s - refSum) > (x.Length + 5) * U * refSum + 1e-300) return false;
        }
        return true;
    }

    /// <summary>
    /// Each lane's exp is the same operation sequence at every width, so the written-back terms are bit-identical wherever
    /// every width takes its vector path: arguments kept inside [−708.4, 709] (no per-block Math.Exp fallback), positions
    /// before the scalar tail of the widest width.
    /// </summary>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(RowArbitraries)], MaxTest = 200, Pinned = "(41,43)")]
    public bool Double_exp_terms_are_bit_identical_across_widths((double[] Z, int ShiftPick) row)
    {
        var z = row.Z.Select(v => double.IsFinite(v) ? v / 3 : 0.0).ToArray(); // |z| ≤ 333.4, so z − max ∈ [−667, 0]
        double shift = z.Length == 0 ? 0 : z.Max();
        var widths = Widths(VectorMath.DoubleWidth).Where(w => w > 0).ToArray();
        if (widths.Length == 0) return true;
        int covered = z.Length / (widths[0] / 64) * (widths[0] / 64);
        var first = (double[])z.Clone();
        VectorMath.ExpShiftSum(first, shift, widths[0]);
        foreach (int width in widths.Skip(1))
        {
            var x = (double[])z.Clone();
            VectorMath.ExpShiftSum(x, shift, width);
            for (int i = 0; i < covered; i++)
                if (BitConverter.DoubleToInt64Bits(x[i]) != BitConverter.DoubleToInt64Bits(first[i])) return false;
        }
        return true;
    }

    /// <summary>
    /// Error budget for float32. Each term: TensorPrimitives.Exp measured within 1.5·2⁻²³ = 3·2⁻²⁴ relative
    /// of the double exp of the same float difference x − shift (rounded in float, as the kernel does), plus 2⁻¹⁴⁹
    /// absolute where the result is subnormal. Sum in float32: γ_{n−1} with u = 2⁻²⁴ on top of the terms: checked at
    /// (n + 4)·2⁻²⁴ relative of the double reference plus n·2⁻¹⁴⁹.
    /// </summary>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(RowArbitraries)], MaxTest = 300, Pinned = "(47,53)")]
    public bool Float_exp_shift_sum_matches_double_exp(float[] z)
    {
        var finite = z.Where(float.IsFinite).ToArray();
        float shift = finite.Length == 0 ? 0f : finite.Max();
        var reference = z.Select(v => Math.Exp(v - shift)).ToArray(); // v − shift in float, exp in double
        double refSum = CompensatedSum(reference);
        const double Tiny = 1.401298464324817e-45; // 2⁻¹⁴⁹
        var x = (float[])z.Clone();
        float s = VectorMath.ExpShiftSum(x, shift);
        for (int i = 0; i < x.Length; i++)
            if (Math.Abs(x[i] - reference[i]) > 3 * Uf * reference[i] + Tiny) return false;
        return Math.Abs(s - refSum) <= (x.Length + 4) * Uf * refSum + x.Length * Tiny;
    }

    [Fact]
    public void Exp_shift_sum_handles_special_values_at_every_width()
    {
        var z = new[] { 0.0, double.NegativeInfinity, 1.0, -1e4, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0 };
        foreach (int width in Widths(VectorMath.DoubleWidth))
        {
            var x = (double[])z.Clone();
            double s = VectorMath.ExpShiftSum(x, 9.0, width);
            Assert.Equal(0.0, x[1]);
            Assert.Equal(0.0, x[3]);
            Assert.Equal(1.0, x[11]);
            Assert.True(Math.Abs(s - z.Sum(v => Math.Exp(v - 9.0))) <= 20 * U * s, $"width {width}: {s}");
            var withNaN = (double[])z.Clone(); withNaN[6] = double.NaN;
            Assert.True(double.IsNaN(VectorMath.ExpShiftSum(withNaN, 9.0, width)));
            var withInf = (double[])z.Clone(); withInf[6] = double.PositiveInfinity;
            Assert.Equal(double.PositiveInfinity, VectorMath.ExpShiftSum(withInf, 9.0, width));
            Assert.Equal(0.0, VectorMath.ExpShiftSum(Span<double>.Empty, 0.0, width));
            var f = z.Select(v => (float)v).ToArray();
            float sf = VectorMath.ExpShiftSum(f, 9f);
            Assert.Equal(0f, f[1]);
            Assert.True(Math.Abs(f[11] - 1f) <= 3 * Uf, $"exp(0f) = {f[11]:R}"); // TensorPrimitives.Exp(0f) is 1 + 2⁻²³ here
            Assert.True(Math.Abs(sf - s) <= 16 * Uf * s, $"float: {sf} vs {s}");
        }
        output.WriteLine($"float64 widths tested: {string.Join(", ", Widths(VectorMath.DoubleWidth))}");
        Assert.Throws<ArgumentOutOfRangeException>(() => VectorMath.ExpShiftSum(new double[4], 0.0, 64));
    }

    [Fact]
    public void Public_kernels_use_the_widest_accelerated_width()
    {
        var rng = new SeededRandom(3);
        foreach (int c in new[] { 1, 7, 127, 511, 2047 })
        {
            var z = new double[c]; rng.FillGaussian(z);
            double m = z.Max();
            var a = (double[])z.Clone(); var b = (double[])z.Clone();
            Assert.Equal(VectorMath.ExpShiftSum(b, m, VectorMath.DoubleWidth), VectorMath.ExpShiftSum(a, m));
            Assert.Equal(b, a);
        }
        output.WriteLine($"DoubleWidth = {VectorMath.DoubleWidth}");
    }

    /// <summary>Softmax.ArgMax (TensorPrimitives.IndexOfMax) is the first index of the largest entry, as the scalar scan.</summary>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(RowArbitraries)], MaxTest = 300, Pinned = "(59,61)")]
    public bool ArgMax_is_the_first_index_of_the_maximum(double[] z)
    {
        int expected = 0;
        for (int j = 1; j < z.Length; j++) if (z[j] > z[expected]) expected = j;
        return Softmax.ArgMax(z) == expected;
    }

    [Fact]
    public void ArgMax_tie_NaN_and_signed_zero_rules()
    {
        var ties = Enumerable.Repeat(1.0, 40).ToArray();
        Assert.Equal(0, Softmax.ArgMax(ties));
        ties[0] = 0.5;
        Assert.Equal(1, Softmax.ArgMax(ties));
        var longTie = Enumerable.Range(0, 100).Select(j => j is 37 or 81 ? 5.0 : j % 5).ToArray();
        Assert.Equal(37, Softmax.ArgMax(longTie));
        Assert.Equal(0, Softmax.ArgMax(Enumerable.Repeat(double.NegativeInfinity, 19).ToArray()));
        var nan = Enumerable.Range(0, 33).Select(j => (double)j).ToArray();
        nan[20] = double.NaN; nan[25] = double.NaN;
        Assert.Equal(20, Softmax.ArgMax(nan)); // the first NaN
        Assert.Equal(1, Softmax.ArgMax([-0.0, 0.0])); // +0 counts as larger than −0
        Assert.Equal(0, Softmax.ArgMax([0.0, -0.0]));
        Assert.Throws<ArgumentException>(() => Softmax.ArgMax([]));
    }

    [Fact]
    public void Gradient_rows_validate_the_label_first()
    {
        Assert.Throws<ArgumentException>(() => Softmax.CrossEntropyGradientInPlace(new double[3].AsSpan(), 3, 1.0));
        Assert.Throws<ArgumentException>(() => Softmax.CrossEntropyGradientInPlace(Span<double>.Empty, 0, 1.0));
        Assert.Throws<ArgumentException>(() => Softmax.CrossEntropyGradientInPlace(new float[3].AsSpan(), -1, 1f));
    }

    [Fact]
    public void AllFinite_flags_every_non_finite_position()
    {
        foreach (int n in new[] { 1, 3, 8, 17, 64, 131 })
        {
            var x = Enumerable.Range(0, n).Select(j => j - 0.5 * n).ToArray();
            Assert.True(VectorMath.AllFinite(x));
            foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
                for (int j = 0; j < n; j++)
                {
                    var y = (double[])x.Clone(); y[j] = bad;
                    Assert.False(VectorMath.AllFinite(y), $"n = {n}, x[{j}] = {bad}");
                }
        }
        Assert.True(VectorMath.AllFinite([]));
        Assert.True(VectorMath.AllFinite([double.MaxValue, -double.MaxValue, double.Epsilon]));
    }
}
