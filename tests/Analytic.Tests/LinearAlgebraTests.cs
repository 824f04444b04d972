using HeavyTail.Tests.Shared;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Analytic.Tests;

public class LinearAlgebraTests
{
    public sealed record GemmCase(int M, int N, int K, bool TransA, bool TransB, double Alpha, double Beta, int Seed);

    public static class GemmArbitraries
    {
        public static Arbitrary<GemmCase> Case() => Arb.From(
            from m in Gen.Elements(1, 2, 3, 4, 5, 7, 13, 31, 33, 64, 67)
            from n in Gen.Elements(1, 2, 3, 8, 9, 17, 31, 64, 97)
            from k in Gen.Elements(0, 1, 2, 5, 11, 256, 257, 300)
            from ta in Gen.Elements(false, true)
            from tb in Gen.Elements(false, true)
            from alpha in Gen.Elements(0.75, 0.75, 0.75, 0.0)
            from beta in Gen.Elements(-0.5, 0.0)
            from s in Gen.Choose(0, 1000)
            select new GemmCase(m, n, k, ta, tb, alpha, beta, s));
    }

    private static double[] Random(int len, int seed) { var x = new double[len]; new SeededRandom(seed).FillGaussian(x); return x; }

    /// <remarks>
    /// β = 0 runs over a C of NaN: C is not read (BLAS semantics; the first k-block stores, the later ones add), and the
    /// padding columns of C (j ≥ n) are never written. k = 257 and 300 span two float64 k-blocks (KC = 256).
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(GemmArbitraries)], MaxTest = 150, Pinned = "(5,7)")]
    public bool Gemm_matches_the_naive_triple_loop(GemmCase g)
    {
        var (m, n, k) = (g.M, g.N, g.K);
        int lda = (g.TransA ? m : k) + 1, ldb = (g.TransB ? k : n) + 2, ldc = n + 3;
        var a = Random((g.TransA ? k : m) * lda, g.Seed);
        var b = Random((g.TransB ? n : k) * ldb, g.Seed + 1);
        var c = Random(m * ldc, g.Seed + 2);
        double alpha = g.Alpha, beta = g.Beta;
        if (beta == 0) Array.Fill(c, double.NaN);
        var expected = (double[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (g.TransA ? a[p * lda + i] : a[i * lda + p]) * (g.TransB ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
        new ManagedLinearAlgebraProvider().Gemm(g.TransA, g.TransB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        // Reassociated sums of k products: |error| ≤ k·ε·Σ|a||b|; with Gaussian entries 1e-13·k suffices.
        for (int i = 0; i < c.Length; i++)
        {
            if (double.IsNaN(expected[i])) { if (!double.IsNaN(c[i])) return false; continue; }
            if (!(Math.Abs(c[i] - expected[i]) <= 1e-14 * (k + 1) * 10)) return false;
        }
        return true;
    }

    [Fact]
    public void Gemm_with_beta_zero_ignores_nan_in_c_and_checks_shapes()
    {
        var a = new double[] { 1, 2, 3, 4 }; var b = new double[] { 1, 0, 0, 1 }; var c = new[] { double.NaN, double.NaN, double.NaN, double.NaN };
        new ManagedLinearAlgebraProvider().Gemm(false, false, 2, 2, 2, 1.0, a, 2, b, 2, 0.0, c, 2);
        Assert.Equal(a, c);
        Assert.Throws<ArgumentException>(() => new ManagedLinearAlgebraProvider().Gemm(false, false, 3, 2, 2, 1.0, a, 2, b, 2, 0.0, c, 2));
    }

    public static TheoryData<GemmKernel, bool, bool> KernelCases()
    {
        var data = new TheoryData<GemmKernel, bool, bool>();
        var kernels = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? new[] { GemmKernel.Avx512, GemmKernel.Portable } : [GemmKernel.Portable];
        foreach (var kernel in kernels)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true }) data.Add(kernel, ta, tb);
        return data;
    }

    /// <summary>
    /// Shapes that cross every blocking boundary at once: m = 203 rows (several parallel row blocks of MC = 96, a partial
    /// 12- or 6-row tile), n = 77 columns (partial NR panel), k = 601 (three k-blocks, the last partial), 18.8 MFLOP (parallel).
    /// </summary>
    [Theory]
    [MemberData(nameof(KernelCases))]
    public void Each_micro_kernel_matches_the_naive_triple_loop_across_blocks(GemmKernel kernel, bool transA, bool transB)
    {
        int m = 203, n = 77, k = 601;
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 5;
        var a = Random((transA ? k : m) * lda, 11); var b = Random((transB ? n : k) * ldb, 12); var c = Random(m * ldc, 13);
        var cf = c.Select(v => (float)v).ToArray();
        var expected = (double[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * ldc + j] = 0.5 * s + 2 * c[i * ldc + j];
            }
        ManagedGemm.Run(transA, transB, m, n, k, 0.5, a, lda, b, ldb, 2.0, c, ldc, kernel);
        ManagedGemm.Run(transA, transB, m, n, k, 0.5f, a.Select(v => (float)v).ToArray(), lda, b.Select(v => (float)v).ToArray(), ldb, 2f, cf, ldc, kernel);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                int at = i * ldc + j;
                if (j >= n) { Assert.Equal(expected[at], c[at]); continue; }   // padding columns untouched
                // double: k reassociated products, |err| ≤ k·2⁻⁵³·Σ|a||b| ≲ 601·1.1e-16·601; float: inputs and sums at 2⁻²⁴
                Assert.True(Math.Abs(c[at] - expected[at]) < 1e-11, $"double ({i},{j}): {c[at]} vs {expected[at]}");
                Assert.True(Math.Abs(cf[at] - expected[at]) < 601 * 6e-8 * 10, $"float ({i},{j}): {cf[at]} vs {expected[at]}");
            }
    }

    /// <summary>
    /// A left operand packed once gives bit for bit the GEMM that packs it per call (same kernel, blocking and sum order), in
    /// both precisions and layouts, across the blocking boundaries of the test above (m = 203, n = 77, k = 601), several
    /// products with one packing (β = 0 over a C of NaN, and β ≠ 0), and a leading dimension wider than the rows.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_packed_left_operand_gives_the_unpacked_gemm_bit_for_bit(bool transA)
    {
        int m = 203, n = 77, k = 601, lda = (transA ? m : k) + 3, ldc = n + 5;
        var a = Random((transA ? k : m) * lda, 21); var af = a.Select(v => (float)v).ToArray();
        var p = new ManagedLinearAlgebraProvider();
        var packed = p.Pack(transA, m, k, a, lda); var packedF = p.Pack(transA, m, k, af, lda);
        Assert.True(packed.Bytes >= 8L * m * k && packedF.Bytes >= 4L * m * k);
        for (int call = 0; call < 3; call++)
        {
            var b = Random(k * n, 22 + call); var c0 = Random(m * ldc, 30 + call);
            double beta = call == 0 ? 0 : 0.5;
            // β = 0: C is not read (NaN there stays out of the product), its padding columns are not written
            if (beta == 0) Array.Fill(c0, double.NaN);
            var expected = (double[])c0.Clone(); var got = (double[])c0.Clone();
            p.Gemm(transA, false, m, n, k, 0.7, a, lda, b, n, beta, expected, ldc);
            p.Gemm(packed, n, 0.7, b, n, beta, got, ldc);
            Assert.Equal(expected, got);
            var bf = b.Select(v => (float)v).ToArray();
            var expectedF = c0.Select(v => (float)v).ToArray(); var gotF = (float[])expectedF.Clone();
            p.Gemm(transA, false, m, n, k, 0.7f, af, lda, bf, n, (float)beta, expectedF, ldc);
            p.Gemm(packedF, n, 0.7f, bf, n, (float)beta, gotF, ldc);
            Assert.Equal(expectedF, gotF);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < ldc; j++)
                {
                    Assert.Equal(j >= n && beta == 0, double.IsNaN(got[i * ldc + j]));
                    Assert.Equal(j >= n && beta == 0, float.IsNaN(gotF[i * ldc + j]));
                }
        }
        Assert.Throws<ArgumentException>(() => p.Gemm(packed, n, 1.0, new double[k * n - 1], n, 0.0, new double[m * n], n));
        Assert.Throws<ArgumentException>(() => p.Pack(transA, m, k, new double[10], lda));
    }

    [Fact]
    public void Shared_left_operands_pack_only_where_the_backend_packs_and_agree_with_the_gemm()
    {
        int m = 40, n = 9, k = 33;
        var a = Random(m * k, 5).Select(v => (float)v).ToArray(); var b = Random(k * n, 6).Select(v => (float)v).ToArray();
        var managed = new ManagedLinearAlgebraProvider();
        var single = new SinglePrecisionProvider(new ManagedLinearAlgebraProvider());
        var expected = new float[m * n];
        managed.Gemm(false, false, m, n, k, 1f, a, k, b, n, 0f, expected, n);
        foreach (var la in new ILinearAlgebraProvider[] { managed, single })
        {
            var op = new SharedLeftOperand<float>(la, false, m, k, a, k);
            Assert.True(op.IsPacked);
            var c = new float[m * n]; op.Gemm(n, 1f, b, n, 0f, c, n);
            Assert.Equal(expected, c);
        }
        Assert.False(new SharedLeftOperand<float>(managed, false, m, k, a, k, pack: false).IsPacked);
        // float64 operands of a float32 backend are not packed: its float64 GEMM rounds them to float32
        Assert.False(new SharedLeftOperand<double>(single, false, m, k, a.Select(v => (double)v).ToArray(), k).IsPacked);
    }

    [Fact]
    public void Float_gemm_agrees_with_double_at_float_precision()
    {
        int m = 37, n = 29, k = 301;
        var a = Random(m * k, 1); var b = Random(k * n, 2);
        var c = new double[m * n]; var cf = new float[m * n];
        var p = new ManagedLinearAlgebraProvider();
        p.Gemm(false, false, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
        p.Gemm(false, false, m, n, k, 1f, a.Select(x => (float)x).ToArray(), k, b.Select(x => (float)x).ToArray(), n, 0f, cf, n);
        // Inputs rounded to float (2⁻²⁴ relative each) and k-term sums: |err| ≲ k·2⁻²³·max|a||b| ≈ 301·1.2e-7·O(10).
        for (int i = 0; i < c.Length; i++) Assert.True(Math.Abs(c[i] - cf[i]) < 301 * 1.2e-7 * 10, $"{c[i]} vs {cf[i]}");
    }

    [Fact]
    public void Fused_cross_entropy_gradient_matches_row_kernels()
    {
        int n = 50, c = 7;
        var z = Random(n * c, 3).Select(v => v * 5).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => i % c).ToArray();
        var w = Enumerable.Repeat(1.0 / n, n).ToArray();
        var zz = (double[])z.Clone(); var losses = new double[n];
        double total = new ManagedLinearAlgebraProvider().SoftmaxCrossEntropyGradient(zz, n, c, labels, w, losses);
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            var row = z.AsSpan(i * c, c);
            Assert.Equal(Softmax.CrossEntropy(row, labels[i]), losses[i], 14);
            expected += losses[i] / n;
            var p = new double[c]; Softmax.Probabilities(row, p);
            for (int a = 0; a < c; a++) Assert.Equal((p[a] - (a == labels[i] ? 1 : 0)) / n, zz[i * c + a], 15);
        }
        Assert.Equal(expected, total, 14);
        Assert.Throws<ArgumentException>(() => new ManagedLinearAlgebraProvider().SoftmaxCrossEntropyGradient(zz, n, c, labels.Select(_ => c).ToArray(), w, null));
        var ls = new double[n * c];
        new ManagedLinearAlgebraProvider().LogSoftmaxRows(z, n, c, ls);
        Assert.Equal(-losses[0], ls[labels[0]], 13);
    }
}
