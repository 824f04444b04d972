using FsCheck;
using FsCheck.Fluent;
using HeavyTail.Analytic;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Tests.Shared;
using MathNet.Numerics.LinearAlgebra;

namespace HeavyTail.Analytic.Tests;

public class PolarFactorTests
{
    /// <summary>A rows × cols matrix with prescribed singular values spread over <see cref="Decades"/> decades (and optionally one exactly 0).</summary>
    public sealed record MatrixCase(int Rows, int Cols, double Decades, bool RankDeficient, int Seed)
    {
        public override string ToString() => $"({Rows}×{Cols}, decades {Decades}, rank-deficient {RankDeficient}, seed {Seed})";
    }

    public static class MatrixArbitraries
    {
        public static Arbitrary<MatrixCase> Case() => Arb.From(
            from rows in Gen.Elements(1, 2, 3, 5, 8, 17, 40)
            from cols in Gen.Elements(1, 2, 3, 4, 9, 16, 33)
            from decades in Gen.Elements(0.0, 1.0, 3.0)
            from deficient in Gen.Elements(false, true)
            from s in Gen.Choose(0, 10000)
            select new MatrixCase(rows, cols, decades, deficient && Math.Min(rows, cols) > 1, s));
    }

    /// <summary>U diag(σ) Vᵀ with Haar-random U, V (QR of Gaussians) and σ_i = 10^(−decades·i/(k−1)); the last σ is 0 when rank-deficient.</summary>
    private static (double[] A, double[] Sigma) Make(MatrixCase mc)
    {
        int k = Math.Min(mc.Rows, mc.Cols);
        var rng = new SeededRandom(mc.Seed);
        Matrix<double> Orthonormal(int n, int cols)
        {
            var g = new double[n * cols];
            rng.FillGaussian(g);
            return Matrix<double>.Build.Dense(n, cols, g).QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin).Q;
        }
        var u = Orthonormal(mc.Rows, k); var v = Orthonormal(mc.Cols, k);
        var sigma = Enumerable.Range(0, k).Select(i => k == 1 ? 1.0 : Math.Pow(10, -mc.Decades * i / (k - 1))).ToArray();
        if (mc.RankDeficient) sigma[^1] = 0;
        var a = u * Matrix<double>.Build.DenseOfDiagonalArray(sigma) * v.Transpose();
        var flat = new double[mc.Rows * mc.Cols];
        for (int i = 0; i < mc.Rows; i++) for (int j = 0; j < mc.Cols; j++) flat[i * mc.Cols + j] = a[i, j];
        return (flat, sigma);
    }

    /// <summary>U Vᵀ over the nonzero singular values of MathNet's full SVD (the independent reference).</summary>
    private static double[] SvdPolar(double[] a, int rows, int cols)
    {
        var m = Matrix<double>.Build.Dense(rows, cols, (i, j) => a[i * cols + j]);
        var svd = m.Svd(true);
        int k = Math.Min(rows, cols);
        double tol = 1e-9 * svd.S[0];
        var p = new double[rows * cols];
        for (int r = 0; r < k; r++)
        {
            if (!(svd.S[r] > tol)) continue;
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) p[i * cols + j] += svd.U[i, r] * svd.VT[r, j];
        }
        return p;
    }

    /// <remarks>
    /// The Gram route squares the condition number: a direction with σ_i = σ_1/κ is off by about κ²·ε·(rows + cols); κ ≤ 10³
    /// here, so 1e-16·10⁶·60·100 ≈ 1e-8 bounds every entry. Also checks the identity ⟨A, polar(A)⟩ = Σσ_i = ‖A‖_* and the singular values.
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(MatrixArbitraries)], MaxTest = 120, Pinned = "(7,11)")]
    public bool Exact_polar_factor_matches_the_svd_and_the_nuclear_norm_identity(MatrixCase mc)
    {
        var (a, sigma) = Make(mc);
        var polar = new double[a.Length];
        var s = PolarFactor.Exact(Reference.Managed, a, mc.Rows, mc.Cols, polar);
        var reference = SvdPolar(a, mc.Rows, mc.Cols);
        double kappa = Math.Pow(10, mc.Decades), tol = 1e-16 * kappa * kappa * (mc.Rows + mc.Cols) * 100;
        for (int i = 0; i < a.Length; i++)
            if (!(Math.Abs(polar[i] - reference[i]) <= tol)) throw new Exception($"{mc}: polar[{i}] = {polar[i]:R} vs SVD {reference[i]:R} (tolerance {tol:G3})");
        double inner = a.Zip(polar, (x, y) => x * y).Sum();
        if (!(Math.Abs(inner - sigma.Sum()) <= 1e-10 * sigma.Sum() * kappa)) throw new Exception($"{mc}: ⟨A, polar(A)⟩ = {inner:R}, Σσ = {sigma.Sum():R}");
        for (int i = 0; i < sigma.Length; i++)
            if (!(Math.Abs(s[i] - sigma[i]) <= 1e-7 * sigma[0])) throw new Exception($"{mc}: σ_{i} = {s[i]:R} vs {sigma[i]:R}");
        Assert.Equal(sigma.Sum(), PolarFactor.NuclearNorm(Reference.Managed, a, mc.Rows, mc.Cols), 1e-7 * sigma[0] * sigma.Length);
        return true;
    }

    /// <summary>NS₅ written out as its five rounds of three matrix products with plain loops, on the short side (Muon's reference code).</summary>
    private static double[] NewtonSchulzByHand(double[] g, int rows, int cols)
    {
        bool t = rows > cols;
        int r = Math.Min(rows, cols), k = Math.Max(rows, cols);
        double norm = Math.Sqrt(g.Sum(v => v * v)) + 1e-7;
        var x = new double[r, k];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) { if (t) x[j, i] = g[i * cols + j] / norm; else x[i, j] = g[i * cols + j] / norm; }
        for (int step = 0; step < 5; step++)
        {
            var a = new double[r, r]; var a2 = new double[r, r]; var next = new double[r, k];
            for (int i = 0; i < r; i++) for (int j = 0; j < r; j++) for (int p = 0; p < k; p++) a[i, j] += x[i, p] * x[j, p];
            for (int i = 0; i < r; i++) for (int j = 0; j < r; j++) for (int p = 0; p < r; p++) a2[i, j] += a[i, p] * a[p, j];
            for (int i = 0; i < r; i++)
                for (int j = 0; j < k; j++)
                {
                    double bx = 0;
                    for (int p = 0; p < r; p++) bx += (-4.7750 * a[i, p] + 2.0315 * a2[i, p]) * x[p, j];
                    next[i, j] = 3.4445 * x[i, j] + bx;
                }
            x = next;
        }
        var o = new double[rows * cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) o[i * cols + j] = t ? x[j, i] : x[i, j];
        return o;
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(MatrixArbitraries)], MaxTest = 120, Pinned = "(3,5)")]
    public bool Newton_schulz_matches_its_five_rounds_written_out(MatrixCase mc)
    {
        var (a, _) = Make(mc);
        var o = new double[a.Length];
        PolarFactor.NewtonSchulz5(Reference.Managed, a, mc.Rows, mc.Cols, o);
        var expected = NewtonSchulzByHand(a, mc.Rows, mc.Cols);
        // entries of X stay O(1); 5 rounds of sums of ≤ 80 products
        for (int i = 0; i < a.Length; i++)
            if (!(Math.Abs(o[i] - expected[i]) <= 1e-12)) throw new Exception($"{mc}: NS₅[{i}] = {o[i]:R} vs by hand {expected[i]:R}");
        // float32 against float64: rounding of O(1) entries through 15 GEMMs of length ≤ 40
        var o32 = new float[a.Length];
        PolarFactor.NewtonSchulz5(Reference.Managed, a.Select(v => (float)v).ToArray(), mc.Rows, mc.Cols, o32);
        double tol32 = Math.Pow(2, -24) * 15 * (Math.Max(mc.Rows, mc.Cols) + 8) * 20;
        for (int i = 0; i < a.Length; i++)
            if (!(Math.Abs(o32[i] - o[i]) <= tol32)) throw new Exception($"{mc}: float32 NS₅[{i}] = {o32[i]:R} vs float64 {o[i]:R} (tolerance {tol32:G3})");
        return true;
    }

    /// <remarks>
    /// NS₅ is not an exact orthogonalisation: Muon's coefficients trade accuracy for speed, sending each singular value σ/‖A‖_F
    /// ≥ 1e-3 into about [0.68, 1.13] after five rounds. Measured here on matrices whose singular values span up to one decade
    /// (so σ_min/‖A‖_F ≥ 0.1/√k ≥ 0.017): the singular values of NS₅(A) lie in [0.6, 1.25] and ‖OᵀO − I‖₂ ≤ 0.57 on the
    /// short side; the output prints the measured extremes.
    /// </remarks>
    [Fact]
    public void Newton_schulz_orthogonality_error_is_bounded_as_measured()
    {
        double lo = double.MaxValue, hi = 0, worst = 0;
        foreach (var (rows, cols) in new[] { (40, 9), (9, 40), (33, 33), (127, 64), (16, 1) })
            for (int seed = 0; seed < 5; seed++)
            {
                var mc = new MatrixCase(rows, cols, 1.0, false, seed);
                var (a, _) = Make(mc);
                var o = new double[a.Length];
                PolarFactor.NewtonSchulz5(Reference.Managed, a, rows, cols, o);
                var s = Matrix<double>.Build.Dense(rows, cols, (i, j) => o[i * cols + j]).Svd(false).S;
                lo = Math.Min(lo, s.Minimum()); hi = Math.Max(hi, s.Maximum());
                worst = Math.Max(worst, Math.Max(Math.Abs(s.Maximum() * s.Maximum() - 1), Math.Abs(s.Minimum() * s.Minimum() - 1)));
            }
        Console.WriteLine($"NS₅ singular values in [{lo:F4}, {hi:F4}]; ‖OᵀO − I‖₂ ≤ {worst:F4}");
        Assert.InRange(lo, 0.6, 1.0);
        Assert.InRange(hi, 1.0, 1.25);
        Assert.InRange(worst, 0.05, 0.64);   // not orthogonal (> 0.05), and no worse than measured
    }
}
