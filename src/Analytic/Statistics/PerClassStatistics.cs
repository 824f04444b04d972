using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Analytic.Statistics;

/// <summary>Gradient heterogeneity across parameter blocks (here: the class columns W[:, k]).</summary>
/// <remarks>
/// With block gradient norms g_k = ‖G[:, k]‖: <c>MaxMinRatio</c> = max_k g_k / min_k g_k (∞ when some g_k = 0 and
/// another is not), <c>CoefficientOfVariation</c> = std(g)/mean(g) (population std), as a scale-free measure of the
/// spread of gradient norms across blocks (Tomihari &amp; Sato 2025).
/// </remarks>
public sealed record GradientHeterogeneity(double MaxMinRatio, double CoefficientOfVariation)
{
    /// <summary>The heterogeneity of the given block gradient norms g_k: max/min ratio (1 when all are 0) and coefficient of variation.</summary>
    public static GradientHeterogeneity FromBlockNorms(IReadOnlyList<double> norms)
    {
        if (norms.Count == 0) throw new ArgumentException("no blocks.", nameof(norms));
        double max = norms.Max(), min = norms.Min(), mean = norms.Average();
        double ratio = max == 0 ? 1.0 : min == 0 ? double.PositiveInfinity : max / min;
        double var = norms.Sum(g => (g - mean) * (g - mean)) / norms.Count;
        double cv = mean == 0 ? 0.0 : Math.Sqrt(var) / mean;
        return new GradientHeterogeneity(ratio, cv);
    }
}

/// <summary>
/// Per-class statistics of the paper's Figure 10 at a point W: gradient column norms ‖G[:, k]‖, Hessian block traces
/// tr(H_kk), weight column norms ‖W[:, k]‖, per-class losses, and their Pearson/Spearman correlation with the class
/// frequency π_k (classes without samples are skipped in the correlations).
/// </summary>
public sealed record PerClassStatistics(
    double Loss, double GradientNorm, double[] Gradient, double[] PerClassLoss, double[] PerClassGradNorm,
    double[] PerClassHessianTrace, double HessianTrace, double[] PerClassWeightNorm, double[] ClassFrequency,
    GradientHeterogeneity Heterogeneity,
    double PearsonGradFrequency, double SpearmanGradFrequency, double PearsonTraceFrequency, double SpearmanTraceFrequency)
{
    /// <summary>Every per-class statistic of <paramref name="model"/> at W: one gradient, the block traces, the per-class losses and the correlations with the class frequency.</summary>
    public static PerClassStatistics Compute(LinearModel model, double[] w)
    {
        int d = model.D, c = model.C;
        var grad = new double[d * c];
        var losses = new double[model.N];
        double loss = model.LossAndGradient(w, grad, losses);
        var traces = new double[c];
        model.Curvature(w, null, traces);
        var gnorm = ColumnNorms(grad, d, c);
        var wnorm = ColumnNorms(w, d, c);
        var freq = model.Data.ClassMass.Select(m => m / model.Data.ClassMass.Sum()).ToArray();
        var present = Enumerable.Range(0, c).Where(k => model.Data.ClassCounts[k] > 0).ToArray();
        double[] Sel(double[] v) => present.Select(k => v[k]).ToArray();
        return new PerClassStatistics(
            loss, Math.Sqrt(grad.Sum(g => g * g)), grad, model.PerClassLossFromSamples(losses), gnorm, traces, traces.Sum(), wnorm, freq,
            GradientHeterogeneity.FromBlockNorms(gnorm),
            Correlation.Pearson(Sel(gnorm), Sel(freq)), Correlation.Spearman(Sel(gnorm), Sel(freq)),
            Correlation.Pearson(Sel(traces), Sel(freq)), Correlation.Spearman(Sel(traces), Sel(freq)));
    }

    /// <summary>‖M[:, k]‖ for a d×c row-major matrix.</summary>
    public static double[] ColumnNorms(ReadOnlySpan<double> m, int d, int c)
    {
        var s = new double[c];
        for (int j = 0; j < d; j++)
            for (int k = 0; k < c; k++) { double v = m[j * c + k]; s[k] += v * v; }
        for (int k = 0; k < c; k++) s[k] = Math.Sqrt(s[k]);
        return s;
    }
}
