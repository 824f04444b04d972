using HeavyTail.Tests.Shared;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Analytic.Tests;

/// <summary>K = X·Xᵀ by <see cref="ManagedGemm.SymmetricRankK{T}"/>: the half-and-mirror Gram matrix against float64 sums and the full GEMM.</summary>
public class SymmetricRankKTests
{
    public sealed record SyrkCase(int N, int K, int Block, int Threads, bool Gaussian, int Seed);

    public static class SyrkArbitraries
    {
        // n around the block sizes and the 12-row tile, k across float32's KC = 384 (two k-blocks at 385 and 800)
        public static Arbitrary<SyrkCase> Case() => Arb.From(
            from n in Gen.Elements(1, 2, 5, 12, 13, 31, 64, 97, 130)
            from k in Gen.Elements(0, 1, 3, 17, 384, 385, 800)
            from block in Gen.Elements(1, 7, 16, 64, 512)
            from threads in Gen.Elements(1, 2, 3)
            from gaussian in Gen.Elements(false, true)
            from s in Gen.Choose(0, 100000)
            select new SyrkCase(n, k, block, threads, gaussian, s));
    }

    private static float[] Inputs(int length, bool gaussian, int seed)
    {
        var rng = new SeededRandom(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(gaussian ? rng.NextGaussian() : rng.NextDouble());
        return x;
    }

    /// <remarks>
    /// The reference sums the exact products x_ip·x_jp (a product of two float32 values is exact in float64) in float64.
    /// Each float32 entry is a sum of k rounded products and partial sums, so |K₃₂ − K| ≤ γ_k·Σ_p |x_ip||x_jp| with
    /// γ_k = k·u/(1 − k·u), u = 2⁻²⁴ (Higham, Accuracy and Stability, eq. 3.5); the float64 reference's own error, k·2⁻⁵³
    /// relative, is 2⁻²⁹ of that bound. The upper triangle equals the lower one bit for bit, and every entry equals the full
    /// float32 GEMM's (the same dot product in the same order).
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(SyrkArbitraries)], MaxTest = 120, Pinned = "(11,13)")]
    public bool Float32_gram_matrix_is_within_unit_roundoff_times_k_of_float64_and_exactly_symmetric(SyrkCase g)
    {
        int n = g.N, k = g.K, lda = k + 3, ldc = n + 2;
        var x = Inputs(n * lda, g.Gaussian, g.Seed);
        var c = Enumerable.Repeat(float.NaN, n * ldc).ToArray();
        ManagedGemm.SymmetricRankK(n, k, x, lda, c, ldc, g.Threads, block: g.Block);
        var full = new float[n * ldc];
        ManagedGemm.Run(false, true, n, n, k, 1f, x, lda, x, lda, 0f, full, ldc, threads: g.Threads);
        double u = Math.Pow(2, -24), gamma = k * u / (1 - k * u);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double exact = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double prod = (double)x[i * lda + p] * x[j * lda + p];
                    exact += prod; magnitude += Math.Abs(prod);
                }
                float got = c[i * ldc + j];
                if (BitConverter.SingleToInt32Bits(got) != BitConverter.SingleToInt32Bits(c[j * ldc + i])) return false;
                if (BitConverter.SingleToInt32Bits(got) != BitConverter.SingleToInt32Bits(full[i * ldc + j])) return false;
                if (!(Math.Abs(got - exact) <= gamma * magnitude)) return false;
            }
        // the padding columns of C are never written
        for (int i = 0; i < n; i++)
            for (int j = n; j < ldc; j++)
                if (!float.IsNaN(c[i * ldc + j])) return false;
        return true;
    }

    [Fact]
    public void Float64_gram_matrix_equals_the_full_gemm_bit_for_bit()
    {
        const int n = 77, k = 300;
        var x = new double[n * k]; new SeededRandom(5).FillUniform(x);
        var syrk = new double[n * n]; var full = new double[n * n];
        using var la = new ManagedLinearAlgebraProvider(threads: 2);
        la.SymmetricRankK(n, k, x, k, syrk, n);
        la.Gemm(false, true, n, n, k, 1.0, x, k, x, k, 0.0, full, n);
        Assert.Equal(full, syrk);
    }

    [Fact]
    public void Shapes_are_checked()
    {
        Assert.Throws<ArgumentException>(() => ManagedGemm.SymmetricRankK(3, 2, new float[5], 2, new float[9], 3));
        Assert.Throws<ArgumentException>(() => ManagedGemm.SymmetricRankK(3, 2, new float[6], 2, new float[8], 3));
        Assert.Throws<ArgumentException>(() => ManagedGemm.SymmetricRankK(-1, 2, new float[6], 2, new float[9], 3));
    }
}
