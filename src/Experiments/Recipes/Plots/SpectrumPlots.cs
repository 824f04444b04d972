using HeavyTail.Analytic.Statistics;
using ScottPlot;

namespace HeavyTail.Experiments.Recipes.Plots;

/// <summary>Figures of Hessian spectra: the SLQ density on a log scale, as PyHessian draws it.</summary>
public static class SpectrumPlots
{
    /// <summary>
    /// The lowest density shown, as a fraction of the peak: the log axis would otherwise spend hundreds of decades on Gaussian
    /// tails. Values below it are drawn at it (along the bottom edge), so a gap in the spectrum reads as a gap, not as a line.
    /// </summary>
    public const double DensityFloor = 1e-8;

    /// <summary>A new figure for eigenvalue densities: eigenvalue (linear) against density (log).</summary>
    public static Figure DensityFigure(string title) => new(title, "eigenvalue of the Hessian", "density (SLQ, Gaussian-smoothed)", logY: true);

    /// <summary>Adds one density curve, clamped below at <see cref="DensityFloor"/>× the largest peak of the figure's curves.</summary>
    public static void AddDensity(Figure f, SpectralDensity rho, Color color, string label, double? peak = null)
    {
        double floor = DensityFloor * (peak ?? rho.Density.Max());
        f.Line(rho.Grid, rho.Density.Select(y => Math.Max(y, floor)).ToArray(), color, label);
        double top = 2 * (peak ?? rho.Density.Max());
        f.YLimits = (floor, top);
    }
}
