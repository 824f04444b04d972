using HeavyTail.Analytic.Models;

namespace HeavyTail.Analytic.Statistics;

/// <summary>Per-class-block curvature: λ_max(H_kk) from block Lanczos on the block-diagonal product, and the exact tr(H_kk).</summary>
public sealed record BlockSpectra(double[] TopEigenvalue, double[] Trace, double[] ResidualNorms, int Products, bool Converged);

/// <summary>
/// The spectral statistics of a linear model's Hessian at W that PyHessian reports (top eigenvalues, a trace estimate, the
/// SLQ density) plus the per-class-block spectra, all from Hessian-vector products (<see cref="LinearModel.HessianOperator"/>:
/// two GEMMs each, the cost of one gradient) and all seeded.
/// </summary>
public static class HessianSpectra
{
    /// <summary>SLQ defaults: 4 runs of 30 Lanczos steps (120 HVPs); PyHessian's are 1 run of 100.</summary>
    public const int DefaultDensityRuns = 4, DefaultLanczosSteps = 30;

    /// <summary>The <paramref name="k"/> largest eigenvalues of H(W) (block Lanczos, block size k).</summary>
    /// <param name="tolerance">stop when every Ritz residual is ≤ tolerance·|θ_1| (the eigenvalue errors are below that).</param>
    public static TopEigenvalues Top(LinearModel model, double[] w, int k, long seed = 0, double tolerance = Lanczos.DefaultTolerance, int? maxProducts = null, CancellationToken cancel = default) =>
        Lanczos.Top(Checked(model.HessianOperator(w), cancel), model.ParameterCount, k, seed, tolerance, maxMatVecs: maxProducts);

    /// <summary>Hutchinson's estimate of tr H(W) from <paramref name="samples"/> Rademacher products.</summary>
    public static (double Estimate, double StandardError) Trace(LinearModel model, double[] w, int samples, long seed = 0, CancellationToken cancel = default) =>
        Hutchinson.Trace(Checked(model.HessianOperator(w), cancel), model.ParameterCount, samples, seed);

    /// <summary>The SLQ density of H(W): <paramref name="runs"/> runs of <paramref name="steps"/> products (steps ≤ d·c).</summary>
    public static SpectralDensity Density(LinearModel model, double[] w, int runs, int steps, long seed = 0, double relativeWidth = SpectralDensity.DefaultRelativeWidth, CancellationToken cancel = default) =>
        SpectralDensity.Estimate(Checked(model.HessianOperator(w), cancel), model.ParameterCount, runs, steps, seed, relativeWidth: relativeWidth);

    /// <summary>λ_max(H_kk) of every class block (all c advance together, one block-diagonal product per step) and tr(H_kk).</summary>
    public static BlockSpectra Blocks(LinearModel model, double[] w, long seed = 0, int? maxSteps = null, CancellationToken cancel = default)
    {
        var top = Lanczos.TopPerBlock(Checked(model.BlockDiagonalHessianOperator(w), cancel), model.D, model.C, seed, maxSteps: maxSteps);
        cancel.ThrowIfCancellationRequested();
        var traces = new double[model.C];
        model.Curvature(w, null, traces);
        return new BlockSpectra(top.Values, traces, top.ResidualNorms, top.MatVecs, top.Converged);
    }

    /// <summary>The product, first checking <paramref name="cancel"/>: every Lanczos step, probe and SLQ run stops within one HVP of an interrupt.</summary>
    private static Action<double[], double[]> Checked(Action<double[], double[]> product, CancellationToken cancel) =>
        !cancel.CanBeCanceled ? product : (x, y) => { cancel.ThrowIfCancellationRequested(); product(x, y); };
}
