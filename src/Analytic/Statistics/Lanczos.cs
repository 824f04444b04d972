using MathNet.Numerics.LinearAlgebra;

namespace HeavyTail.Analytic.Statistics;

/// <summary>The K largest eigenvalues of a symmetric operator from block Lanczos, with the evidence that they converged.</summary>
/// <param name="Values">θ_1 ≥ … ≥ θ_K, the largest Ritz values.</param>
/// <param name="ResidualNorms">‖A Q y_i − θ_i Q y_i‖ of each Ritz pair (unit y_i): some eigenvalue lies within it of θ_i.</param>
/// <param name="MatVecs">operator applications used (HVPs, when the operator is the Hessian).</param>
/// <param name="Converged">every residual ≤ tolerance·|θ_1|.</param>
/// <param name="BlockSize">starting vectors: an eigenvalue of multiplicity up to this is found with all its copies.</param>
public sealed record TopEigenvalues(double[] Values, double[] ResidualNorms, int MatVecs, bool Converged, int BlockSize);

/// <summary>Per-block top eigenvalues of a block-diagonal operator diag(A_1, …, A_c), all blocks advanced together.</summary>
/// <param name="Values">λ_max(A_k) for each block k.</param>
/// <param name="ResidualNorms">β_j |e_jᵀ y| of each block's top Ritz pair.</param>
/// <param name="MatVecs">applications of the block-diagonal operator (each advances every block by one Lanczos step).</param>
/// <param name="Converged">every block's residual ≤ tolerance·|θ_k|.</param>
public sealed record BlockTopEigenvalues(double[] Values, double[] ResidualNorms, int MatVecs, bool Converged);

/// <summary>
/// Extreme eigenvalues of a symmetric operator A given only through products A·v (here the Hessian's HVP).
/// </summary>
/// <remarks>
/// Block Krylov with full re-orthogonalisation (the band form of block Lanczos): b random orthonormal starting vectors
/// q_1..q_b; processing q_i forms A q_i, orthogonalises it twice against every q so far (the coefficients are
/// h_li = q_lᵀ A q_i) and appends the normalised rest as q_{i+b}. After s processed vectors the Rayleigh–Ritz matrix is
/// T = Q_sᵀ A Q_s = (H + Hᵀ)/2 restricted to the first s, and the residual of a Ritz pair (θ, y) is exactly
/// ‖E y‖ with E = H[s.., ..s] (the components of A Q_s y outside span Q_s), so |θ − λ| ≤ ‖E y‖ for some eigenvalue λ.
/// It stops when the K largest Ritz values have ‖E y‖ ≤ tol·|θ_1|. With one starting vector (b = 1) this is Lanczos;
/// single-vector Lanczos finds one copy of a repeated eigenvalue only, so b = K: a repeated eigenvalue (e.g. the
/// c − 1 copies of every eigenvalue of the softmax Hessian at W = 0, H = (I − 11ᵀ/c)/c ⊗ XᵀX/n) shows up with all the
/// copies that belong in the top K. When A q_i has nothing left after orthogonalisation (an invariant subspace) a fresh
/// random direction orthogonal to every q continues with coupling 0. Memory: the basis, one vector per product.
/// </remarks>
public static class Lanczos
{
    /// <summary>Default stopping tolerance: residual ≤ 1e-10·|θ_1| bounds every eigenvalue error by 1e-10 of the largest.</summary>
    public const double DefaultTolerance = 1e-10;

    /// <summary>Default product budget: 100, or 10 per eigenvalue asked for; never more than the dimension.</summary>
    public static int DefaultMaxMatVecs(int dimension, int k) => Math.Min(dimension, Math.Max(100, 10 * k));

    /// <summary>The <paramref name="k"/> largest eigenvalues (descending), block size k.</summary>
    public static TopEigenvalues Top(Action<double[], double[]> matVec, int dimension, int k, long seed = 0,
        double tolerance = DefaultTolerance, int? maxMatVecs = null, int? blockSize = null)
    {
        Guard.Positive(dimension, nameof(dimension));
        if (k < 1 || k > dimension) throw new ArgumentException($"k = {k} must be between 1 and the dimension {dimension}.", nameof(k));
        if (!(tolerance >= 0)) throw new ArgumentException($"tolerance = {tolerance} must be ≥ 0.", nameof(tolerance));
        int b = Math.Min(blockSize ?? k, dimension);
        if (b < 1) throw new ArgumentException($"block size {b} must be ≥ 1.", nameof(blockSize));
        int cap = Math.Max(Math.Min(dimension, Math.Max(k, maxMatVecs ?? DefaultMaxMatVecs(dimension, k))), k);
        var rng = new SeededRandom(seed);
        var krylov = new BlockKrylov(matVec, dimension, rng);
        for (int i = 0; i < b; i++) krylov.AddRandomDirection();
        (double[] Theta, double[] Res) last = ([], []);
        while (krylov.CanProcess && krylov.Processed < cap)
        {
            krylov.ProcessNext();
            if (krylov.Processed < k && krylov.CanProcess) continue;
            var (theta, y, residual) = krylov.RitzPairs();
            int s = theta.Length;
            var order = Enumerable.Range(0, s).OrderByDescending(j => theta[j]).Take(k).ToArray();
            last = (order.Select(j => theta[j]).ToArray(), order.Select(j => residual[j]).ToArray());
            double scale = Math.Abs(last.Theta[0]);
            if (last.Theta.Length == k && last.Res.All(r => r <= tolerance * scale)) break;
        }
        double top = last.Theta.Length > 0 ? Math.Abs(last.Theta[0]) : 0;
        bool converged = last.Theta.Length == k && last.Res.All(r => r <= tolerance * top);
        return new TopEigenvalues(last.Theta, last.Res, krylov.Processed, converged, b);
    }

    /// <summary>The <paramref name="k"/> largest eigenvalues, descending (see <see cref="Top"/>); <paramref name="steps"/> caps the products.</summary>
    public static double[] TopEigenvalues(Action<double[], double[]> matVec, int dimension, int k, long seed = 0, int? steps = null) =>
        Top(matVec, dimension, k, seed, maxMatVecs: steps).Values;

    /// <summary>
    /// Gauss quadrature of the spectral measure seen from a unit vector v: <paramref name="steps"/> Lanczos steps from v give
    /// T = QᵀAQ with eigenpairs (θ_j, y_j); nodes θ_j and weights τ_j = (e_1ᵀ y_j)² satisfy Σ τ_j = 1 and
    /// Σ τ_j θ_j^r = vᵀ A^r v exactly for r ≤ 2·steps − 1 (stochastic Lanczos quadrature, Ghorbani et al. 2019).
    /// </summary>
    public static (double[] Nodes, double[] Weights) Quadrature(Action<double[], double[]> matVec, double[] start, int steps, long seed = 0)
    {
        int dimension = start.Length;
        Guard.Positive(dimension, nameof(start));
        if (steps < 1 || steps > dimension) throw new ArgumentException($"steps = {steps} must be between 1 and the dimension {dimension}.", nameof(steps));
        var krylov = new BlockKrylov(matVec, dimension, new SeededRandom(seed));
        krylov.AddDirection(start);
        while (krylov.CanProcess && krylov.Processed < steps) krylov.ProcessNext();
        var (theta, y, _) = krylov.RitzPairs();
        var weights = new double[theta.Length];
        for (int j = 0; j < theta.Length; j++) weights[j] = y[0, j] * y[0, j];
        return (theta, weights);
    }

    /// <summary>
    /// λ_max of every block of a block-diagonal operator on d×c matrices (row-major, block k = column k): one product
    /// D·V = [A_k v_k]_k advances c independent single-vector Lanczos runs (three-term recurrence, each column fully
    /// re-orthogonalised against its own basis). Block k stops when β_j |e_jᵀ y| ≤ tol·|θ_k| (its column is then zeroed
    /// so it costs nothing more); the top eigenvalue needs no block size (a repeated λ_max is still λ_max).
    /// </summary>
    public static BlockTopEigenvalues TopPerBlock(Action<double[], double[]> blockDiagonalMatVec, int rows, int blocks, long seed = 0,
        double tolerance = DefaultTolerance, int? maxSteps = null)
    {
        Guard.Positive(rows, nameof(rows)); Guard.Positive(blocks, nameof(blocks));
        int cap = Math.Min(rows, maxSteps ?? DefaultMaxMatVecs(rows, 1));
        int p = rows * blocks;
        var v = new double[p]; var w = new double[p];
        new SeededRandom(seed).FillGaussian(v);
        var norms = ColumnNorms(v, rows, blocks);
        for (int j = 0; j < rows; j++) for (int k = 0; k < blocks; k++) v[j * blocks + k] /= norms[k];
        var basis = new List<double[]>();
        var alpha = new List<double>[blocks]; var beta = new List<double>[blocks];
        for (int k = 0; k < blocks; k++) { alpha[k] = new(); beta[k] = new(); }
        var active = Enumerable.Repeat(true, blocks).ToArray();
        var value = new double[blocks]; var residual = new double[blocks];
        int products = 0;
        var coef = new double[blocks];
        for (int step = 0; step < cap && active.Any(a => a); step++)
        {
            basis.Add((double[])v.Clone());
            blockDiagonalMatVec(v, w);
            products++;
            ColumnDots(w, v, rows, blocks, coef);
            for (int k = 0; k < blocks; k++) if (active[k]) alpha[k].Add(coef[k]);
            for (int pass = 0; pass < 2; pass++)
                foreach (var q in basis)
                {
                    ColumnDots(w, q, rows, blocks, coef);
                    for (int k = 0; k < blocks; k++) if (!active[k]) coef[k] = 0;
                    for (int j = 0; j < rows; j++) for (int k = 0; k < blocks; k++) w[j * blocks + k] -= coef[k] * q[j * blocks + k];
                }
            var next = ColumnNorms(w, rows, blocks);
            for (int k = 0; k < blocks; k++)
            {
                if (!active[k]) continue;
                var (theta, lastComponent) = TridiagonalTop(alpha[k], beta[k]);
                value[k] = theta;
                residual[k] = next[k] * Math.Abs(lastComponent);
                if (residual[k] <= tolerance * Math.Abs(theta) || step == rows - 1) { active[k] = false; next[k] = 0; }
                else beta[k].Add(next[k]);
            }
            for (int j = 0; j < rows; j++)
                for (int k = 0; k < blocks; k++) v[j * blocks + k] = next[k] > 0 ? w[j * blocks + k] / next[k] : 0.0;
        }
        bool converged = Enumerable.Range(0, blocks).All(k => residual[k] <= tolerance * Math.Abs(value[k]));
        return new BlockTopEigenvalues(value, residual, products, converged);
    }

    /// <summary>The eigendecomposition of the symmetric tridiagonal T with diagonal α and off-diagonal β.</summary>
    internal static MathNet.Numerics.LinearAlgebra.Factorization.Evd<double> TridiagonalEvd(List<double> alpha, List<double> beta)
    {
        int s = alpha.Count;
        var t = Matrix<double>.Build.Dense(s, s);
        for (int i = 0; i < s; i++)
        {
            t[i, i] = alpha[i];
            if (i + 1 < s) { t[i, i + 1] = beta[i]; t[i + 1, i] = beta[i]; }
        }
        return t.Evd(Symmetricity.Symmetric);
    }

    /// <summary>λ_max of the symmetric tridiagonal T (diagonal α, off-diagonal β) and the last component of its unit eigenvector.</summary>
    private static (double Theta, double LastComponent) TridiagonalTop(List<double> alpha, List<double> beta)
    {
        int s = alpha.Count;
        var evd = TridiagonalEvd(alpha, beta);
        int top = 0;
        for (int j = 1; j < s; j++) if (evd.EigenValues[j].Real > evd.EigenValues[top].Real) top = j;
        return (evd.EigenValues[top].Real, evd.EigenVectors[s - 1, top]);
    }

    /// <summary>dots[k] = Σ_j a[j, k]·b[j, k] over the columns of two rows × cols row-major matrices.</summary>
    internal static void ColumnDots(double[] a, double[] b, int rows, int cols, double[] dots)
    {
        Array.Clear(dots);
        for (int j = 0; j < rows; j++)
        {
            int o = j * cols;
            for (int k = 0; k < cols; k++) dots[k] += a[o + k] * b[o + k];
        }
    }

    /// <summary>The Euclidean norm of each column of a rows × cols row-major matrix.</summary>
    internal static double[] ColumnNorms(double[] a, int rows, int cols)
    {
        var n = new double[cols];
        ColumnDots(a, a, rows, cols, n);
        for (int k = 0; k < cols; k++) n[k] = Math.Sqrt(n[k]);
        return n;
    }

    internal static double Dot(double[] a, double[] b) => System.Numerics.Tensors.TensorPrimitives.Dot<double>(a, b);
    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));
    /// <summary>y ← y + f·x (SIMD: the re-orthogonalisation is O(products²·p) and would otherwise rival the HVPs).</summary>
    private static void Axpy(double f, double[] x, double[] y) => System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<double>(x, f, y, y);

    /// <summary>The orthonormal basis, the coefficients h_li = q_lᵀ A q_i of the processed vectors, and Rayleigh–Ritz on them.</summary>
    private sealed class BlockKrylov(Action<double[], double[]> matVec, int dimension, SeededRandom rng)
    {
        private readonly List<double[]> _q = new();
        private readonly List<double[]> _h = new();
        private readonly double[] _w = new double[dimension];

        /// <summary>Vectors whose product has been formed (= products used).</summary>
        public int Processed => _h.Count;

        public bool CanProcess => Processed < _q.Count;

        /// <summary>Appends v, orthogonalised against the basis and normalised; false when nothing is left of it.</summary>
        public bool AddDirection(double[] v)
        {
            var u = (double[])v.Clone();
            double before = Norm(u);
            Orthogonalise(u, null);
            double after = Norm(u);
            if (!(after > 1e-10 * before)) return false;
            for (int i = 0; i < u.Length; i++) u[i] /= after;
            _q.Add(u);
            return true;
        }

        public void AddRandomDirection()
        {
            // Random Gaussian directions: at most a few draws, since a draw in the span of fewer than `dimension` vectors has probability 0.
            var u = new double[dimension];
            for (int attempt = 0; attempt < 4 && _q.Count < dimension; attempt++)
            {
                rng.FillGaussian(u);
                if (AddDirection(u)) return;
            }
        }

        /// <summary>Forms A q_i for the next unprocessed q_i, records h_li, and appends the new direction.</summary>
        public void ProcessNext()
        {
            int i = Processed;
            matVec(_q[i], _w);
            double norm = Norm(_w);
            var col = new double[_q.Count + 1];
            Orthogonalise(_w, col);
            if (_q.Count < dimension)
            {
                double rest = Norm(_w);
                if (rest > 1e-10 * norm)
                {
                    col[_q.Count] = rest;
                    var u = new double[dimension];
                    for (int j = 0; j < dimension; j++) u[j] = _w[j] / rest;
                    _q.Add(u);
                }
                else AddRandomDirection(); // invariant subspace: coupling 0 (col's last entry stays 0)
            }
            _h.Add(col);
        }

        /// <summary>Two passes of Gram–Schmidt against the whole basis, summing the coefficients into <paramref name="coefficients"/>.</summary>
        private void Orthogonalise(double[] u, double[]? coefficients)
        {
            for (int pass = 0; pass < 2; pass++)
                for (int l = 0; l < _q.Count; l++)
                {
                    double c = Dot(u, _q[l]);
                    if (coefficients != null) coefficients[l] += c;
                    Axpy(-c, _q[l], u);
                }
        }

        private double H(int l, int i) => l < _h[i].Length ? _h[i][l] : 0.0;

        /// <summary>Ritz values θ (ascending), unit eigenvectors y (columns) of T_s, and residual norms ‖E y‖.</summary>
        public (double[] Theta, Matrix<double> Y, double[] Residual) RitzPairs()
        {
            int s = Processed;
            var t = Matrix<double>.Build.Dense(s, s);
            for (int i = 0; i < s; i++)
                for (int l = 0; l < s; l++) t[l, i] = 0.5 * (H(l, i) + H(i, l));
            var evd = t.Evd(Symmetricity.Symmetric);
            var theta = evd.EigenValues.Select(z => z.Real).ToArray();
            var y = evd.EigenVectors;
            var residual = new double[s];
            for (int j = 0; j < s; j++)
            {
                double sq = 0;
                for (int l = s; l < _q.Count + 1; l++)
                {
                    double e = 0;
                    for (int i = 0; i < s; i++) e += H(l, i) * y[i, j];
                    sq += e * e;
                }
                residual[j] = Math.Sqrt(sq);
            }
            return (theta, y, residual);
        }
    }
}
