using HeavyTail.Tests.Shared;
using HeavyTail.Analytic;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Gpu.Tests;

/// <summary>
/// The backends present on this machine: managed (always), managed opened for float32 (<see cref="SinglePrecisionProvider"/>,
/// always), ILGPU's CPU accelerator with its default one-thread-per-entry GEMM kernel and with the shared-memory tiled one
/// (always), OpenBLAS and CUDA when installed.
/// </summary>
public static class Backends
{
    private static readonly Lazy<IReadOnlyList<ILinearAlgebraProvider>> All = new(() =>
    {
        var tiled = IlgpuProvider.Create(preferCuda: false);
        tiled.UseTiledGemm = true;   // the shared-memory tiled GEMM kernel that GPUs without cuBLAS run
        var list = new List<ILinearAlgebraProvider> { new ManagedLinearAlgebraProvider(), new SinglePrecisionProvider(new ManagedLinearAlgebraProvider()), IlgpuProvider.Create(preferCuda: false), tiled };
        if (NativeBlasProvider.TryCreate() is { } native) list.Add(native);
        if (IlgpuProvider.TryCreateCuda() is { } cuda) list.Add(cuda);
        return list;
    });

    public static IEnumerable<object[]> Names() => All.Value.Select(p => new object[] { p.Name });
    public static ILinearAlgebraProvider Get(string name) => All.Value.Single(p => p.Name == name);

    /// <summary>
    /// Relative precision of a backend's arithmetic: 2⁻⁵³ for the double backends (managed, native), 2⁻²⁴ for the float32
    /// ones (ILGPU, managed-float32: inputs are rounded to float32 on the way in, each rounding contributing u = 2⁻²⁴).
    /// </summary>
    public static double UnitRoundoff(string name) => name is "managed" or "native" ? Math.Pow(2, -53) : Math.Pow(2, -24);
}

/// <summary>One contract for every backend: each operation against a double-precision reference at stated tolerances.</summary>
public class ProviderContractTests
{
    private static double[] Random(int len, int seed, double scale = 1) { var x = new double[len]; new SeededRandom((ulong)seed).FillGaussian(x, scale); return x; }

    public static IEnumerable<object[]> Shapes()
    {
        // awkward shapes: 1×1, primes, n not a multiple of any tile or vector width, c = 2, k = 1
        foreach (var (m, n, k) in new[] { (1, 1, 1), (2, 2, 1), (7, 13, 5), (31, 2, 37), (17, 29, 64), (64, 96, 33), (3, 127, 19) })
            foreach (var b in Backends.Names())
                foreach (var ta in new[] { false, true })
                    foreach (var tb in new[] { false, true })
                        yield return [b[0], m, n, k, ta, tb];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_matches_the_double_reference(string backend, int m, int n, int k, bool transA, bool transB)
    {
        var la = Backends.Get(backend);
        int lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 1;
        var a = Random((transA ? k : m) * lda, 1); var b = Random((transB ? n : k) * ldb, 2); var c = Random(m * ldc, 3);
        var expected = (double[])c.Clone();
        double alpha = 0.7, beta = -1.3;
        var bound = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                    s += t; abs += Math.Abs(t);
                }
                expected[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
                // Rounded inputs (a, b, c, α, β each ≤ u relative) and a k-term sum: |err| ≤ (k + 5)·u·(|α|Σ|a||b| + |β||c|) (Higham, §3.1).
                bound[i * n + j] = (k + 5) * Backends.UnitRoundoff(backend) * (Math.Abs(alpha) * abs + Math.Abs(beta * c[i * ldc + j])) + 1e-300;
            }
        la.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                Assert.True(Math.Abs(c[i * ldc + j] - expected[i * ldc + j]) <= bound[i * n + j],
                    $"{backend} C[{i},{j}] = {c[i * ldc + j]:R}, expected {expected[i * ldc + j]:R} ± {bound[i * n + j]:G3}");
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Float_gemm_and_beta_zero_semantics(string backend)
    {
        var la = Backends.Get(backend);
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = [float.NaN, float.NaN, float.NaN, float.NaN];
        la.Gemm(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal([19f, 22f, 43f, 50f], c); // small integers are exact in float32
        Assert.Throws<ArgumentException>(() => la.Gemm(false, false, 3, 2, 2, 1f, a, 2, b, 2, 0f, c, 2));
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Fused_softmax_cross_entropy_matches_the_double_row_kernels(string backend)
    {
        var la = Backends.Get(backend);
        foreach (var (n, c) in new[] { (1, 2), (5, 2), (37, 11), (64, 127) })
        {
            var z = Random(n * c, 7, 4.0);
            var labels = Enumerable.Range(0, n).Select(i => (i * 7) % c).ToArray();
            var w = Enumerable.Repeat(1.0 / n, n).ToArray();
            var zz = (double[])z.Clone(); var losses = new double[n];
            double total = la.SoftmaxCrossEntropyGradient(zz, n, c, labels, w, losses);
            double u = Backends.UnitRoundoff(backend), expectedTotal = 0;
            for (int i = 0; i < n; i++)
            {
                var row = z.AsSpan(i * c, c);
                double l = Softmax.CrossEntropy(row, labels[i]);
                expectedTotal += w[i] * l;
                double zmax = Softmax.Max(row);
                // ℓ = (m − z_y) + log Σe^{z−m}: rounding of the logits (|z|·u each), c exponentials and a c-term sum.
                Assert.True(Math.Abs(losses[i] - l) <= (4 * Math.Abs(zmax) + 4 * c + 8) * u * Math.Max(1, l), $"{backend} row {i}: {losses[i]} vs {l}");
                var p = new double[c]; Softmax.Probabilities(row, p);
                for (int a = 0; a < c; a++)
                {
                    double g = w[i] * (p[a] - (a == labels[i] ? 1 : 0));
                    // each p_a is relatively accurate to ≈ (2|z|max + c + 4)·u (exp of rounded differences, normalised sum)
                    Assert.True(Math.Abs(zz[i * c + a] - g) <= (2 * Math.Abs(zmax) + c + 8) * u * w[i] + 1e-300, $"{backend} grad[{i},{a}]");
                }
            }
            Assert.True(Math.Abs(total - expectedTotal) <= (4 * 20 + 4 * c + 8) * u * Math.Max(1, expectedTotal));
        }
    }

    /// <summary>
    /// Fault class 10: at a large margin M (z_y = M, every other logit 0) the loss ℓ = log1p((c − 1)e^(−M)) is tiny and must be
    /// relatively accurate, not 0: each e^(−M) carries a few ulp, their sum c ulp, the log1p a few more.
    /// </summary>
    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Cross_entropy_is_relatively_accurate_at_large_margins(string backend)
    {
        var la = Backends.Get(backend);
        double u = Backends.UnitRoundoff(backend);
        foreach (int c in new[] { 2, 3, 10, 100 })
            foreach (double margin in new[] { 1.0, 5, 10, 16.5, 17, 20, 30, 50, 80 })
            {
                int n = 3;
                var z = new double[n * c];
                var labels = new[] { 0, c / 2, c - 1 };
                for (int i = 0; i < n; i++) z[i * c + labels[i]] = margin;
                var w = Enumerable.Repeat(1.0 / n, n).ToArray();
                var losses = new double[n];
                la.SoftmaxCrossEntropyGradient(z, n, c, labels, w, losses);
                double exact = SpecialFunctions.Log1P((c - 1) * Math.Exp(-margin));
                for (int i = 0; i < n; i++)
                    Assert.True(Math.Abs(losses[i] - exact) <= (c + 8) * u * exact,
                        $"{backend} c={c} margin={margin}: {losses[i]:R} vs {exact:R} (relative error {Math.Abs(losses[i] - exact) / exact:G3})");
            }
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Log_softmax_rows_are_stable_at_large_logits(string backend)
    {
        var la = Backends.Get(backend);
        double[] z = [1e3, 1e3 - 1, -1e3, 0.5, 0.25, 0.0];
        var o = new double[6];
        la.LogSoftmaxRows(z, 2, 3, o);
        double e1 = -SpecialFunctions.Log1P(Math.Exp(-1) + Math.Exp(-2e3));
        double u = Backends.UnitRoundoff(backend);
        Assert.True(Math.Abs(o[0] - e1) <= 8 * u * 1e3, $"{o[0]} vs {e1}");
        Assert.All(o, v => Assert.True(double.IsFinite(v)));
        var ls = new double[3]; Softmax.LogSoftmax(z.AsSpan(3, 3), ls);
        for (int j = 0; j < 3; j++) Assert.True(Math.Abs(o[3 + j] - ls[j]) <= 16 * u);
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void A_model_step_on_the_backend_matches_the_double_reference(string backend)
    {
        var la = Backends.Get(backend);
        var p = Analytic.Data.Problems.HtRandom(3, seed: 2);
        var w = Random(p.Data.D * p.Data.C, 4, 0.1);
        var reference = new Analytic.Models.SoftmaxCrossEntropyModel(p.Data, Reference.Managed);
        var onBackend = new Analytic.Models.SoftmaxCrossEntropyModel(p.Data, la);
        var g1 = new double[w.Length]; var g2 = new double[w.Length];
        double l1 = reference.LossAndGradient(w, g1), l2 = onBackend.LossAndGradient(w, g2);
        double u = Backends.UnitRoundoff(backend);
        // n = 24-term sums of d = 32-term products: (n + d + c)·u relative to the scale of the gradient
        double scale = g1.Max(Math.Abs), tol = (24 + 32 + 7 + 8) * u;
        Assert.True(Math.Abs(l1 - l2) <= tol * l1, $"loss {l2} vs {l1}");
        for (int i = 0; i < w.Length; i++) Assert.True(Math.Abs(g1[i] - g2[i]) <= tol * scale * 4, $"grad[{i}]");
    }

    private static (double[] Z, int[] Labels, double[] W) Rows(int n, int c, int seed, double scale = 3.0)
    {
        var z = Random(n * c, seed, scale);
        var labels = Enumerable.Range(0, n).Select(i => (i * 5 + 1) % c).ToArray();
        var w = Enumerable.Range(0, n).Select(i => (1.0 + i % 3) / (2.0 * n)).ToArray();
        return (z, labels, w);
    }

    private static double[] Probabilities(ReadOnlySpan<double> z) { var p = new double[z.Length]; Softmax.Probabilities(z, p); return p; }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Hessian_vector_row_pass_matches_its_formula(string backend)
    {
        var la = Backends.Get(backend);
        foreach (var (n, c) in new[] { (1, 2), (9, 5), (40, 33) })
        {
            var (z, _, w) = Rows(n, c, 11);
            var r = Random(n * c, 12);
            var zz = (double[])z.Clone(); var rr = (double[])r.Clone();
            la.SoftmaxHessianVectorRows(zz, rr, n, c, w);
            double u = Backends.UnitRoundoff(backend);
            for (int i = 0; i < n; i++)
            {
                var p = Probabilities(z.AsSpan(i * c, c));
                double pr = 0; for (int b = 0; b < c; b++) pr += p[b] * r[i * c + b];
                double rmax = r.AsSpan(i * c, c).ToArray().Max(Math.Abs);
                for (int a = 0; a < c; a++)
                {
                    // S_ia = w_i p_ia (r_ia − p_i·r_i): p relatively accurate to ≈ (2|z| + c + 4)·u, a c-term dot product
                    double expected = w[i] * p[a] * (r[i * c + a] - pr);
                    double tol = (6 * 3 * 4 + 3 * c + 16) * u * w[i] * p[a] * (2 * rmax) + 1e-300;
                    Assert.True(Math.Abs(rr[i * c + a] - expected) <= tol, $"{backend} S[{i},{a}] = {rr[i * c + a]:R}, expected {expected:R}");
                    Assert.True(Math.Abs(zz[i * c + a] - p[a]) <= (6 * 3 * 4 + c + 8) * u * p[a] + 1e-300, $"{backend} P[{i},{a}]");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Block_diagonal_hessian_row_pass_is_curvature_times_r(string backend)
    {
        var la = Backends.Get(backend);
        double u = Backends.UnitRoundoff(backend);
        foreach (var (n, c) in new[] { (1, 2), (9, 5), (40, 33) })
        {
            var (z, _, w) = Rows(n, c, 31);
            var r = Random(n * c, 32);
            var zz = (double[])z.Clone(); var rr = (double[])r.Clone();
            la.SoftmaxBlockDiagonalHessianRows(zz, rr, n, c, w);
            for (int i = 0; i < n; i++)
            {
                var p = Probabilities(z.AsSpan(i * c, c));
                for (int a = 0; a < c; a++)
                {
                    // S_ia r_ia = w_i p_ia(1 − p_ia) r_ia: p relatively accurate to ≈ (2|z| + c + 4)·u (as in the HVP pass), 1 − p
                    // formed without cancellation (≈ c·u relative), and two products: (6·3·4 + 2c + 16)·u relative
                    double others = 0; for (int b = 0; b < c; b++) if (b != a) others += p[b]; // 1 − p_a without cancellation
                    double expected = w[i] * p[a] * others * r[i * c + a];
                    double tol = (6 * 3 * 4 + 2 * c + 16) * u * Math.Abs(expected) + 1e-300;
                    Assert.True(Math.Abs(rr[i * c + a] - expected) <= tol, $"{backend} S∘r[{i},{a}] = {rr[i * c + a]:R}, expected {expected:R}");
                }
            }
        }
        // a saturated row: the arg-max's 1 − p ≈ 2e^{−60} must stay relatively accurate, not round to 0
        double[] zs = [60.0, 0.0, 0.0]; double[] rs = [1.0, 1.0, 1.0];
        la.SoftmaxBlockDiagonalHessianRows(zs, rs, 1, 3, [1.0]);
        double rest = 2 * Math.Exp(-60) / (1 + 2 * Math.Exp(-60));
        Assert.True(rs[0] > 0 && Math.Abs(rs[0] - (1 - rest) * rest) <= 64 * u * rs[0], $"{backend} saturated arg-max: {rs[0]:R}");
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Curvature_row_pass_is_p_one_minus_p_without_cancellation(string backend)
    {
        var la = Backends.Get(backend);
        // the second row is saturated: 1 − p_max ≈ e^{−60} must stay relatively accurate, not round to 0
        double[] z = [0.3, -1.2, 2.0, 60.0, 0.0, 0.0];
        double[] w = [0.5, 0.5];
        var zz = (double[])z.Clone();
        la.SoftmaxCurvatureRows(zz, 2, 3, w);
        double u = Backends.UnitRoundoff(backend);
        var p0 = Probabilities(z.AsSpan(0, 3));
        for (int a = 0; a < 3; a++) Assert.True(Math.Abs(zz[a] - 0.5 * p0[a] * (1 - p0[a])) <= 64 * u * zz[a], $"{backend} row 0 col {a}");
        double rest = 2 * Math.Exp(-60) / (1 + 2 * Math.Exp(-60));
        Assert.True(Math.Abs(zz[3] - 0.5 * (1 - rest) * rest) <= 64 * u * zz[3], $"{backend} saturated arg-max: {zz[3]:R}");
        Assert.True(zz[4] > 0 && Math.Abs(zz[4] - 0.5 * Math.Exp(-60)) <= 256 * u * zz[4], $"{backend} saturated column: {zz[4]:R}");
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Residual_log_magnitudes_match_the_residual_and_do_not_underflow(string backend)
    {
        var la = Backends.Get(backend);
        var (z, labels, w) = Rows(12, 7, 21);
        var logAbs = new double[z.Length];
        la.SoftmaxResidualLogMagnitudes(z, 12, 7, labels, w, logAbs);
        double u = Backends.UnitRoundoff(backend);
        for (int i = 0; i < 12; i++)
        {
            var p = Probabilities(z.AsSpan(i * 7, 7));
            for (int a = 0; a < 7; a++)
            {
                double r = Math.Abs(w[i] * (p[a] - (a == labels[i] ? 1 : 0)));
                Assert.True(Math.Abs(logAbs[i * 7 + a] - Math.Log(r)) <= (16 * 3 * 4 + 32) * u, $"{backend} [{i},{a}]: {logAbs[i * 7 + a]:R} vs {Math.Log(r):R}");
            }
        }
        // margins of 2000: every residual underflows in linear scale, its logarithm is still exact
        double[] zBig = [2000, 0, -2000];
        var lb = new double[3];
        la.SoftmaxResidualLogMagnitudes(zBig, 1, 3, [0], [1.0], lb);
        Assert.Equal(-2000, lb[1], 9);
        Assert.Equal(-4000, lb[2], 9);
        Assert.Equal(-2000, lb[0], 9);   // |p_0 − 1| = Σ_{j≠0} p_j ≈ e^{−2000}
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Cross_entropy_runs_side_by_side_equal_the_single_pass_and_isolate_a_diverged_run(string backend)
    {
        var la = Backends.Get(backend);
        int n = 10, c = 4, runs = 3, wc = runs * c;
        var (z1, labels, w) = Rows(n, c, 31);
        var blocks = new[] { z1, Random(n * c, 32, 2.0), Random(n * c, 33, 5.0) };
        var wide = new double[n * wc];
        for (int i = 0; i < n; i++)
            for (int r = 0; r < runs; r++) Array.Copy(blocks[r], i * c, wide, i * wc + r * c, c);
        wide[4 * wc + 1 * c + 2] = double.PositiveInfinity;   // run 1 diverged at row 4
        var losses = Enumerable.Range(0, runs).Select(_ => new double[n]).ToArray();
        la.SoftmaxCrossEntropyGradientRuns(wide, n, runs, c, labels, w, losses);
        foreach (int r in new[] { 0, 2 })
        {
            var single = (double[])blocks[r].Clone(); var ls = new double[n];
            la.SoftmaxCrossEntropyGradient(single, n, c, labels, w, ls);
            // the same row kernel (bit-equal on the double backends); a float32 backend's single pass runs on the device
            double tol = (4 * 5 * 4 + 4 * c + 8) * Backends.UnitRoundoff(backend);
            for (int i = 0; i < n; i++)
            {
                Assert.True(Math.Abs(ls[i] - losses[r][i]) <= tol * Math.Max(1, ls[i]), $"{backend} run {r} loss {i}");
                for (int a = 0; a < c; a++) Assert.True(Math.Abs(single[i * c + a] - wide[i * wc + r * c + a]) <= tol * w[i], $"{backend} run {r} [{i},{a}]");
            }
        }
        Assert.True(double.IsNaN(losses[1][4]));
        Assert.All(Enumerable.Range(0, c), a => Assert.True(double.IsNaN(wide[4 * wc + c + a])));
        Assert.True(double.IsFinite(losses[1][3]));
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Row_pass_visits_every_row_once(string backend)
    {
        var la = Backends.Get(backend);
        Assert.True(la.Threads >= 1);
        foreach (var (rows, cols) in new[] { (0, 5), (3, 2), (5000, 64) })
        {
            var visits = new int[rows];
            la.RowPass(rows, cols, i => Interlocked.Increment(ref visits[i]));
            Assert.All(visits, v => Assert.Equal(1, v));
        }
    }
}
