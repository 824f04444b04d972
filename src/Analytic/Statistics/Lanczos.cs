using MathNet.Numerics.LinearAlgebra;

namespace HeavyTail.Analytic.Statistics;

/// <summary>
/// Top eigenvalues of a symmetric operator given only through matrix-vector products (here the Hessian's HVP).
/// </summary>
/// <remarks>
/// Lanczos with full re-orthogonalisation: q_{j+1} β_j = A q_j − α_j q_j − β_{j−1} q_{j−1}, re-orthogonalised
/// against all previous q's (twice), for m = min(p, max(2k + 20, 40)) steps; when β ≈ 0 (an invariant subspace)
/// it restarts from a random vector orthogonal to all q's with β = 0. The Ritz values (eigenvalues of the m×m tridiagonal T) approximate the extreme eigenvalues.
/// When m = p the result is exact up to rounding.
/// </remarks>
public static class Lanczos
{
    public static double[] TopEigenvalues(Action<double[], double[]> matVec, int dimension, int k, long seed = 0, int? steps = null)
    {
        Guard.Positive(dimension, nameof(dimension));
        if (k < 1 || k > dimension) throw new ArgumentException($"k = {k} must be between 1 and the dimension {dimension}.", nameof(k));
        int m = Math.Min(dimension, steps ?? Math.Max(2 * k + 20, 40));
        var q = new List<double[]>();
        var alpha = new List<double>(); var beta = new List<double>();
        var v = new double[dimension];
        var rng = new SeededRandom(seed);
        rng.FillGaussian(v);
        Scale(v, 1 / Norm(v));
        var w = new double[dimension];
        for (int j = 0; j < m; j++)
        {
            q.Add((double[])v.Clone());
            matVec(v, w);
            double a = Dot(w, v);
            alpha.Add(a);
            for (int pass = 0; pass < 2; pass++)
                foreach (var qi in q) Axpy(-Dot(w, qi), qi, w);
            if (j == m - 1) break;
            double b = Norm(w);
            if (b < 1e-10 * Math.Max(1e-300, Math.Abs(alpha.Max(Math.Abs))))
            {
                // Invariant subspace found: restart from a fresh random direction orthogonal to it (β = 0 couples nothing).
                rng.FillGaussian(w);
                for (int pass = 0; pass < 2; pass++)
                    foreach (var qi in q) Axpy(-Dot(w, qi), qi, w);
                double nw = Norm(w);
                if (nw < 1e-8) break;
                beta.Add(0.0);
                for (int i = 0; i < dimension; i++) v[i] = w[i] / nw;
                continue;
            }
            beta.Add(b);
            for (int i = 0; i < dimension; i++) v[i] = w[i] / b;
        }
        int s = alpha.Count;
        var t = Matrix<double>.Build.Dense(s, s);
        for (int i = 0; i < s; i++)
        {
            t[i, i] = alpha[i];
            if (i + 1 < s) { t[i, i + 1] = beta[i]; t[i + 1, i] = beta[i]; }
        }
        var ev = t.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).OrderByDescending(x => x).ToArray();
        return ev.Take(Math.Min(k, ev.Length)).ToArray();
    }

    internal static double Dot(double[] a, double[] b) { double s = 0; for (int i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }
    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));
    private static void Scale(double[] a, double f) { for (int i = 0; i < a.Length; i++) a[i] *= f; }
    private static void Axpy(double f, double[] x, double[] y) { for (int i = 0; i < y.Length; i++) y[i] += f * x[i]; }
}
