using HeavyTail.Analytic.IO;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Recipes;

/// <summary>The files of `heavytail stats --out DIR`: stats.json, grad.npy, hessian_diag.npy, hvp.npy, and the spectra's CSVs and figures.</summary>
public static class StatsFiles
{
    /// <summary>Writes every file of <paramref name="result"/> into <paramref name="dir"/> (each atomically); returns the stats.json path.</summary>
    public static string Write(StatsResult result, string dir, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(dir);
        var data = result.Request.Problem.Data;
        int[] shape = [data.D, data.C];
        if (result.Density is { } rho) WriteDensity(result, rho, dir, cancel);
        if (result.Blocks != null) WriteBlocks(result, dir, cancel);
        string json = Path.Combine(dir, "stats.json");
        JsonOut.Write(json, result.ToJson());
        Npy.Write(Path.Combine(dir, "grad.npy"), result.Stats.Gradient, shape);
        Npy.Write(Path.Combine(dir, "hessian_diag.npy"), result.HessianDiagonal, shape);
        if (result.Hvp != null) Npy.Write(Path.Combine(dir, "hvp.npy"), result.Hvp, shape);
        return json;
    }

    private static void WriteDensity(StatsResult result, Analytic.Statistics.SpectralDensity rho, string dir, CancellationToken cancel)
    {
        var r = result.Request;
        Csv.Write(Path.Combine(dir, "density.csv"), ["eigenvalue", "density"], rho.Grid.Zip(rho.Density, (x, y) => (IReadOnlyList<double>)[x, y]));
        var f = SpectrumPlots.DensityFigure($"{r.Problem.Name}: Hessian eigenvalue density (SLQ, {r.DensityRuns} runs × {r.LanczosSteps} steps, σ = {rho.Sigma:G3})");
        SpectrumPlots.AddDensity(f, rho, ScottPlot.Colors.Black, $"{r.DensityRuns}×{r.LanczosSteps} HVPs");
        f.Save(dir, "density", cancel);
    }

    /// <summary>block_top_eigenvalue.csv and block_top_eigenvalue.png: λ_max(H_kk) and tr(H_kk) against π_k, log-log.</summary>
    private static void WriteBlocks(StatsResult result, string dir, CancellationToken cancel)
    {
        var (blocks, freq, p) = (result.Blocks!, result.Stats.ClassFrequency, result.Request.Problem);
        Csv.Write(Path.Combine(dir, "block_top_eigenvalue.csv"), ["class", "frequency", "block_top_eigenvalue", "block_trace"],
            Enumerable.Range(0, p.Data.C).Select(c => (IReadOnlyList<double>)[c, freq[c], blocks.TopEigenvalue[c], blocks.Trace[c]]));
        string rho = result.BlockCorrelation!.WhyUndefined == null ? $"Spearman ρ = {result.BlockCorrelation.Value:F2}" : "all blocks equal";
        var f = new Figure($"{p.Name}: top eigenvalue of each class block H_kk vs its frequency ({rho})", "class frequency π_k", "λ_max(H_kk)", logX: true, logY: true);
        f.Line(freq, blocks.TopEigenvalue, ScottPlot.Colors.Black, $"λ_max(H_kk), {blocks.Products} HVPs", markers: true);
        f.Save(dir, "block_top_eigenvalue", cancel);
    }
}
