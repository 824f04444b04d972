using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// The polar (orthogonal) factor of a matrix, exactly by SVD and approximately by Muon's quintic Newton–Schulz iteration.
/// Matrices are row-major rows × cols.
/// </summary>
/// <remarks>
/// For A = U Σ Vᵀ (thin SVD), polar(A) = U Vᵀ over the singular values above rank tolerance: singular values at rounding level
/// are treated as 0 and contribute nothing, which is also what the Newton–Schulz map does to them (p(0) = 0). ⟨A, polar(A)⟩ = Σ σ_i = ‖A‖_* (the nuclear norm).
/// </remarks>
public static class PolarFactor
{
    /// <summary>Muon's quintic coefficients (a, b, c): X ← aX + (bA + cA²)X with A = XXᵀ (Jordan et al. 2024; torch.optim.Muon).</summary>
    public const double A = 3.4445, B = -4.7750, C = 2.0315;

    /// <summary>Newton–Schulz steps Muon takes.</summary>
    public const int Steps = 5;

    /// <summary>Added to ‖·‖_F before the first Newton–Schulz step (as the reference implementation).</summary>
    public const double NormEps = 1e-7;

    /// <summary>
    /// polar(a) = U Vᵀ written to <paramref name="polar"/>; returns the singular values σ_1 ≥ … ≥ σ_min(rows, cols) (those
    /// below the rank tolerance as 0; they are not used in the factor).
    /// </summary>
    /// <remarks>
    /// Through the Gram matrix of the short side, S = MᵀM (k × k, k = min(rows, cols), M = a or aᵀ so that M is tall):
    /// S = V Λ Vᵀ (symmetric eigendecomposition), σ_i = √λ_i, polar(M) = M·V Λ^(−1/2) Vᵀ over the λ_i above the rank
    /// tolerance λ_i > 64·(max + min(rows, cols))·ε·λ_1 (<see cref="RankTolerance"/>; the rounding noise of a zero eigenvalue of
    /// the formed Gram matrix is a few (max + min)·ε·λ_1), i.e. σ_i > 1.3e-6·σ_1 for a 1024 × 127 matrix.
    /// Forming S squares the condition number, so a factor direction whose σ_i is κ times below σ_1 carries an error of about
    /// κ²·ε; the tests check it against a full SVD. One k × k eigendecomposition and two GEMMs of k²·max(rows, cols): for a
    /// 1024 × 127 gradient about 10× faster than the QR + SVD route. Float64; the two GEMMs on <paramref name="provider"/>.
    /// </remarks>
    public static double[] Exact(ILinearAlgebraProvider provider, ReadOnlySpan<double> a, int rows, int cols, Span<double> polar)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Guard.Positive(rows, "rows"); Guard.Positive(cols, "cols");
        if (a.Length != rows * cols || polar.Length != rows * cols) throw new ArgumentException($"expected {rows}×{cols} = {rows * cols} entries, got {a.Length} and {polar.Length}.");
        bool tall = rows >= cols;
        int longSide = Math.Max(rows, cols), k = Math.Min(rows, cols);
        var m = new double[longSide * k];                              // M (longSide × k, row-major): a, or aᵀ
        if (tall) a.CopyTo(m);
        else for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[j * k + i] = a[i * cols + j];
        var gram = new double[k * k];
        provider.Gemm(true, false, k, k, longSide, 1.0, m, k, m, k, 0.0, gram, k);   // S = MᵀM
        var evd = Matrix<double>.Build.Dense(k, k, (i, j) => 0.5 * (gram[i * k + j] + gram[j * k + i])).Evd(Symmetricity.Symmetric);
        var lambda = evd.EigenValues.Select(z => z.Real).ToArray();   // ascending
        var v = evd.EigenVectors;
        double top = lambda.Length > 0 ? Math.Max(lambda[^1], 0) : 0, tol = RankTolerance(longSide, k) * top;
        var sigma = new double[k];
        var core = new double[k * k];                                  // V Λ^(−1/2) Vᵀ over the kept λ
        for (int r = 0; r < k; r++)
        {
            double l = lambda[r];
            sigma[k - 1 - r] = l > tol ? Math.Sqrt(l) : 0;
            if (!(l > tol) || top == 0) continue;
            double inv = 1 / Math.Sqrt(l);
            for (int i = 0; i < k; i++)
            {
                double vi = v[i, r] * inv;
                for (int j = 0; j < k; j++) core[i * k + j] += vi * v[j, r];
            }
        }
        var p = new double[longSide * k];
        provider.Gemm(false, false, longSide, k, k, 1.0, m, k, core, k, 0.0, p, k);    // M·V Λ^(−1/2) Vᵀ
        if (tall) p.CopyTo(polar);
        else for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) polar[i * cols + j] = p[j * k + i];
        return sigma;
    }

    /// <summary>λ_i/λ_1 at or below this is a zero singular value: 64·(long + short side)·ε.</summary>
    public static double RankTolerance(int longSide, int shortSide) => 64.0 * (longSide + shortSide) * Math.Pow(2, -52);

    /// <summary>The nuclear norm ‖a‖_* = Σ σ_i (float64 SVD).</summary>
    public static double NuclearNorm(ILinearAlgebraProvider provider, ReadOnlySpan<double> a, int rows, int cols)
    {
        var scratch = new double[rows * cols];
        return Exact(provider, a, rows, cols, scratch).Sum();
    }

    /// <summary>
    /// Muon's NS₅ on the matrix g (rows × cols, row-major) in precision T: X = M/(‖M‖_F + 1e-7) with M = g, or gᵀ when g has
    /// more rows than columns; 5 times A = XXᵀ, B = bA + cA², X = aX + BX; the result (transposed back) to <paramref name="output"/>.
    /// </summary>
    /// <remarks>
    /// torch.optim.Muon applies it to the c × d weight of a Linear layer (out × in); its result is the transpose of what it gives
    /// on the d × c matrix here, because NS₅ commutes with transposition (it is an odd matrix polynomial in X with X Xᵀ taken on
    /// the short side, which is the same on either orientation). The three GEMMs of a step run on <paramref name="provider"/>
    /// in T; ‖M‖_F is summed in float64 and rounded to T once. Cost per step: 2·r²·k + r³ multiply-adds, r = min(rows, cols),
    /// k = max(rows, cols).
    /// </remarks>
    public static void NewtonSchulz5<T>(ILinearAlgebraProvider provider, T[] g, int rows, int cols, T[] output, NewtonSchulzScratch<T>? scratch = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(provider);
        Guard.Positive(rows, "rows"); Guard.Positive(cols, "cols");
        if (g.Length != rows * cols || output.Length != rows * cols) throw new ArgumentException($"expected {rows}×{cols} = {rows * cols} entries, got {g.Length} and {output.Length}.");
        bool transpose = rows > cols;
        int r = Math.Min(rows, cols), k = Math.Max(rows, cols);
        scratch ??= new NewtonSchulzScratch<T>(rows, cols);
        var x = scratch.X; var y = scratch.Y; var a = scratch.A; var a2 = scratch.A2;
        double sumSq = 0;
        foreach (var v in g) { double d = double.CreateTruncating(v); sumSq += d * d; }
        T inv = T.One / T.CreateTruncating(Math.Sqrt(sumSq) + NormEps);
        // X is r × k: g itself (rows ≤ cols) or gᵀ
        if (!transpose) for (int i = 0; i < g.Length; i++) x[i] = g[i] * inv;
        else for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) x[j * k + i] = g[i * cols + j] * inv;
        T ca = T.CreateTruncating(A), cb = T.CreateTruncating(B), cc = T.CreateTruncating(C);
        for (int step = 0; step < Steps; step++)
        {
            Gemm(provider, false, true, r, r, k, T.One, x, k, x, k, T.Zero, a, r);           // A = X Xᵀ
            Gemm(provider, false, false, r, r, r, T.One, a, r, a, r, T.Zero, a2, r);         // A²
            for (int i = 0; i < r * r; i++) a[i] = cb * a[i] + cc * a2[i];                  // B = bA + cA²
            Array.Copy(x, y, r * k);
            Gemm(provider, false, false, r, k, r, T.One, a, r, x, k, ca, y, k);              // Y = aX + B X
            (x, y) = (y, x);
        }
        if (!transpose) Array.Copy(x, output, rows * cols);
        else for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) output[i * cols + j] = x[j * k + i];
        scratch.Keep(x, y);
    }

    private static void Gemm<T>(ILinearAlgebraProvider p, bool ta, bool tb, int m, int n, int k, T alpha, T[] a, int lda, T[] b, int ldb, T beta, T[] c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
            p.Gemm(ta, tb, m, n, k, double.CreateTruncating(alpha), (double[])(object)a, lda, (double[])(object)b, ldb, double.CreateTruncating(beta), (double[])(object)c, ldc);
        else if (typeof(T) == typeof(float))
            p.Gemm(ta, tb, m, n, k, float.CreateTruncating(alpha), (float[])(object)a, lda, (float[])(object)b, ldb, float.CreateTruncating(beta), (float[])(object)c, ldc);
        else throw new NotSupportedException($"Newton–Schulz runs in float32 or float64, not {typeof(T).Name}.");
    }
}

/// <summary>The work arrays of <see cref="PolarFactor.NewtonSchulz5{T}"/> for one shape (reused across an optimizer's steps).</summary>
public sealed class NewtonSchulzScratch<T> where T : unmanaged
{
    /// <summary>Allocates the work arrays for a rows×cols matrix (X and Y rows×cols, the Gram matrices min(rows, cols)²).</summary>
    public NewtonSchulzScratch(int rows, int cols)
    {
        Rows = rows; Cols = cols;
        int r = Math.Min(rows, cols);
        X = new T[rows * cols]; Y = new T[rows * cols]; A = new T[r * r]; A2 = new T[r * r];
    }

    /// <summary>Rows of the matrices this scratch serves.</summary>
    public int Rows { get; }
    /// <summary>Columns of the matrices this scratch serves.</summary>
    public int Cols { get; }
    internal T[] X { get; private set; }
    internal T[] Y { get; private set; }
    internal T[] A { get; }
    internal T[] A2 { get; }

    internal void Keep(T[] x, T[] y) { X = x; Y = y; }
}
