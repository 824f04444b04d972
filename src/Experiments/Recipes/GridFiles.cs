using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Recipes;

/// <summary>The files of a finished grid: grid.csv, best.json and grid.png (final loss against step size).</summary>
public static class GridFiles
{
    /// <summary>Writes the grid's files into <paramref name="dir"/>; returns the one-line summary `grid` prints.</summary>
    /// <param name="data">the user's arrays the grid ran on (their content hash goes into best.json), or null.</param>
    public static string Write(GridResult result, string dir, Precision precision, GridData? data = null)
    {
        Csv.Write(Path.Combine(dir, "grid.csv"), ["lr", "worst_final_loss", "diverged", "stable"],
            result.Points.Select(p => (IReadOnlyList<double>)[p.Lr, p.WorstScore, p.AnyDiverged ? 1 : 0, p.IsStable(result.Stability) ? 1 : 0]));
        var best = BestJson(result, precision);
        if (data != null) { best["data"] = "arrays"; best[ProblemFiles.DataHashKey] = data.Sha256; }
        JsonOut.Write(Path.Combine(dir, "best.json"), best);
        Figure(result).Save(dir, "grid");
        string rule = result.Stability == null ? "" : result.SelectedLr == result.BestLr ? " (stable)" : $" (lowest final loss at η = {JsonOut.Number(result.BestLr)} is unstable)";
        return $"{result.Optimizer}: selected η = {JsonOut.Number(result.SelectedLr)}{rule} (worst final loss {JsonOut.Number(result.Selected.WorstScore)})" +
               $"{(result.AtEdge ? " — lowest final loss at the edge of the grid" : "")} → {Path.Combine(dir, "best.json")}";
    }

    /// <summary>best.json: both rules' step sizes, the unstable ones, the edge note, the path of the runs and every point.</summary>
    public static Dictionary<string, object?> BestJson(GridResult result, Precision precision) => new()
    {
        ["optimizer"] = result.Optimizer, ["dtype"] = precision.Name(), ["best_lr"] = result.BestLr, ["best_worst_final_loss"] = result.Best.WorstScore,
        ["selected_lr"] = result.SelectedLr, ["selected_worst_final_loss"] = result.Selected.WorstScore,
        ["unstable_lrs"] = result.UnstableLrs, ["stability"] = result.Stability?.ToJson() ?? (object)"off",
        ["no_stable_step_size"] = result.NoStableStepSize,
        ["at_edge"] = result.AtEdge, ["edge_note"] = result.AtEdge ? "the selected step size lies at the edge of [1e-6, 1e1]; the comparison may measure the step budget rather than the optimizer" : null,
        ["path"] = GridJob.PathOf(result.Points.SelectMany(p => p.Runs)),
        ["points"] = result.Points.Select(p => new Dictionary<string, object?> { ["lr"] = p.Lr, ["worst_final_loss"] = p.WorstScore, ["diverged"] = p.AnyDiverged, ["path"] = GridJob.PathOf(p.Runs) }).ToList(),
    };

    /// <summary>Final loss against step size (log-log), the unstable points, the lowest-loss and the selected step size marked.</summary>
    public static Figure Figure(GridResult result)
    {
        var f = new Figure($"{result.Optimizer}: final loss vs step size", "step size η", "worst final training loss over seeds (nats)", logX: true, logY: true);
        f.Line(result.Points.Select(p => p.Lr).ToArray(), result.Points.Select(p => p.WorstScore).ToArray(), Plots.Figure.OptimizerColor(result.Optimizer), result.Optimizer, markers: true);
        var unstable = result.Points.Where(p => !p.IsStable(result.Stability)).ToList();
        if (unstable.Count > 0) f.Line(unstable.Select(p => p.Lr).ToArray(), unstable.Select(p => p.WorstScore).ToArray(), ScottPlot.Colors.Orange, "unstable", markers: true);
        if (result.SelectedLr != result.BestLr)
            f.Line([result.BestLr], [result.Best.WorstScore], ScottPlot.Colors.Gray, $"lowest final loss η = {result.BestLr:G3}", markers: true);
        f.Line([result.SelectedLr], [result.Selected.WorstScore], ScottPlot.Colors.Red, $"selected η = {result.SelectedLr:G3}", markers: true);
        return f;
    }
}
