using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;
using MathNet.Numerics.LinearAlgebra;

namespace HeavyTail.Analytic.Testing;

/// <summary>
/// Reusable predicates on the structure of the Hessian of a <see cref="LinearModel"/>, for property tests of one's own
/// conjectures. Each returns a deviation (0 when the structure holds exactly) or a bool with a tolerance.
/// </summary>
public static class HessianProperties
{
    /// <summary>max |H − Hᵀ| / max(1, max |H|).</summary>
    public static double AsymmetryOf(double[,] h)
    {
        int p = h.GetLength(0);
        double dev = 0, scale = 1;
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) { dev = Math.Max(dev, Math.Abs(h[i, j] - h[j, i])); scale = Math.Max(scale, Math.Abs(h[i, j])); }
        return dev / scale;
    }

    /// <summary><see cref="AsymmetryOf"/>(H) ≤ <paramref name="tol"/>.</summary>
    public static bool IsSymmetric(double[,] h, double tol = 1e-12) => AsymmetryOf(h) <= tol;

    /// <summary>Eigenvalues of a symmetric matrix, ascending.</summary>
    public static double[] Eigenvalues(double[,] h) =>
        Matrix<double>.Build.DenseOfArray(h).Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).OrderBy(x => x).ToArray();

    /// <summary>λ_min ≥ −tol·max(1, λ_max).</summary>
    public static bool IsPositiveSemidefinite(double[,] h, double tol = 1e-10)
    {
        var ev = Eigenvalues(h);
        return ev[0] >= -tol * Math.Max(1, ev[^1]);
    }

    /// <summary>
    /// ‖H·(u 1ᵀ)‖ / (‖H‖-scale·‖u 1ᵀ‖) for a given u ∈ R^d: the softmax cross-entropy Hessian annihilates any
    /// shift of all class columns by the same vector, because the softmax is invariant to it.
    /// </summary>
    public static double ColumnShiftResponse(LinearModel model, double[] w, double[] u)
    {
        Guard.Length(u.Length, model.D, nameof(u), $"d = {model.D}");
        int d = model.D, c = model.C;
        var v = new double[d * c];
        for (int j = 0; j < d; j++) for (int a = 0; a < c; a++) v[j * c + a] = u[j];
        var hv = new double[d * c];
        model.HessianVectorProduct(w, v, hv);
        var traces = new double[c];
        model.Curvature(w, null, traces);
        double scale = Math.Max(1e-300, traces.Sum()) * Norm(v);
        return Norm(hv) / scale;
    }

    /// <summary>max_a |Σ_j diag[j, a] − tr(H_aa)| / max(1e-300, max_a tr(H_aa)): the diagonal and block traces agree.</summary>
    public static double DiagonalTraceMismatch(LinearModel model, double[] w)
    {
        int d = model.D, c = model.C;
        var diag = new double[d * c]; var traces = new double[c];
        model.Curvature(w, diag, traces);
        double dev = 0, scale = 1e-300;
        for (int a = 0; a < c; a++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += diag[j * c + a];
            dev = Math.Max(dev, Math.Abs(s - traces[a]));
            scale = Math.Max(scale, Math.Abs(traces[a]));
        }
        return dev / scale;
    }

    /// <summary>Spearman correlation between the per-class block traces and the class frequencies at W.</summary>
    public static double TraceFrequencyCorrelation(LinearModel model, double[] w) =>
        PerClassStatistics.Compute(model, w).SpearmanTraceFrequency;

    /// <summary>max relative difference of two equally shaped arrays: max|a − b| / max(floor, max|b|).</summary>
    public static double RelativeDifference(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double floor = 1e-300)
    {
        Guard.Length(a.Length, b.Length, nameof(a), "same length as b");
        double dev = 0, scale = floor;
        for (int i = 0; i < a.Length; i++) { dev = Math.Max(dev, Math.Abs(a[i] - b[i])); scale = Math.Max(scale, Math.Abs(b[i])); }
        return dev / scale;
    }

    private static double Norm(double[] x) => Math.Sqrt(x.Sum(v => v * v));
}
