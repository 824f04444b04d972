using ScottPlot;
using HeavyTail.Analytic.Data;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Recipes;

/// <summary>Figures shared by several recipes.</summary>
public static class RecipePlots
{
    /// <summary>
    /// Per-group training loss of one run (dark = frequent groups, light = rare), plus the overall loss dashed; with
    /// <paramref name="logSteps"/> on a log step axis (step 0 cannot be shown there: the curves start at step 1).
    /// </summary>
    public static Figure PerGroup(RunRecord run, string title, bool legend = true, bool logSteps = false)
    {
        var f = new Figure(title, logSteps ? "step (log scale, from step 1)" : "step", "training loss (nats)", logX: logSteps);
        int k = run.Rows[0].GroupLosses.Length;
        var steps = run.Rows.Select(r => (double)r.Step).ToArray();
        for (int g = 0; g < k; g++)
            f.Line(steps, run.Rows.Select(r => r.GroupLosses[g]).ToArray(), Figure.GroupColor(g, k),
                !legend ? null : g == 0 ? "group 0 (frequent)" : g == k - 1 ? $"group {g} (rare)" : $"group {g}");
        f.Line(steps, run.Rows.Select(r => r.Loss).ToArray(), ScottPlot.Colors.Black, legend ? "overall" : null, dashed: true);
        ClipAbove(f, run.Rows.SelectMany(r => r.GroupLosses.Append(r.Loss)), run.InitialLoss);
        return f;
    }

    /// <summary>Samples per class of HT-Random(m) on log-log axes (classes ranked by frequency), the frequency groups shaded.</summary>
    public static Figure ClassHistogram(int m, string title)
    {
        var counts = Enumerable.Range(0, m).SelectMany(j => Enumerable.Repeat((double)(1 << (m - j)), 1 << j)).ToArray();
        var f = new Figure(title, "class (sorted by frequency)", "samples per class", logX: true, logY: true);
        ShadeGroups(f, Enumerable.Range(0, m).Select(g => 1 << g).ToArray());
        f.Line(Enumerable.Range(1, counts.Length).Select(i => (double)i).ToArray(), counts, ScottPlot.Colors.Black, "samples per class", markers: true);
        return f;
    }

    /// <summary>Samples per class of any problem (classes ranked by count, log-log), its frequency groups shaded.</summary>
    public static Figure ClassHistogram(Problem p, string title)
    {
        var order = Enumerable.Range(0, p.Data.C).OrderByDescending(k => p.Data.ClassCounts[k]).ThenBy(k => k).ToArray();
        var counts = order.Select(k => (double)p.Data.ClassCounts[k]).ToArray();
        var f = new Figure(title, "class (sorted by frequency)", "samples per class", logX: true, logY: true);
        ShadeGroups(f, Enumerable.Range(0, p.Groups.K).Select(g => order.Count(k => p.Groups.GroupOf[k] == g)).ToArray());
        f.Line(Enumerable.Range(1, counts.Length).Select(i => (double)i).ToArray(), counts, ScottPlot.Colors.Black, "samples per class", markers: true);
        return f;
    }

    /// <summary>
    /// The paper's Figure 2 layout for a problem: class histogram | GD per group | Adam per group, the loss panels on one
    /// y-axis, the group legend in the GD panel.
    /// </summary>
    public static PanelFigure GdVsAdamPanels(Figure histogram, RunRecord gd, RunRecord adam, Alignment legend) => new(
    [
        histogram,
        PerGroup(gd, $"(b) GD, η = {gd.Spec.Optimizer.Lr:G3}").WithLegendAt(legend),
        PerGroup(adam, $"(c) Adam, η = {adam.Spec.Optimizer.Lr:G3}", legend: false),
    ], sharedY: [1, 2]);

    /// <summary>Overall training loss of several runs, one colour per optimizer.</summary>
    public static Figure Overall(IEnumerable<(string Name, RunRecord Run)> runs, string title)
    {
        var f = new Figure(title, "step", "training loss (nats)");
        foreach (var (name, run) in runs)
            f.Line(run.Rows.Select(r => (double)r.Step).ToArray(), run.Rows.Select(r => r.Loss).ToArray(), Figure.OptimizerColor(name), $"{name} (η={run.Spec.Optimizer.Lr:G3})");
        var all = runs.ToList();
        if (all.Count > 0) ClipAbove(f, all.SelectMany(r => r.Run.Rows.Select(x => x.Loss)), all[0].Run.InitialLoss);
        return f;
    }

    /// <summary>
    /// When a curve spikes above 1.5× the initial loss (large step sizes on separable data), show [0, 1.5·L₀] and say so in
    /// the title: the spike is in the CSV, the figure keeps the groups readable.
    /// </summary>
    private static void ClipAbove(Figure f, IEnumerable<double> values, double initial)
    {
        double max = values.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        if (max <= 1.5 * initial) return;
        f.YLimits = (0, 1.5 * initial);
        f.Plot.Axes.Title.Label.Text += $" (clipped; peak {max:G3})";
    }

    /// <summary>Shades consecutive ranges of ranks 1.. (group g holds <paramref name="sizes"/>[g] classes), dark = frequent.</summary>
    public static void ShadeGroups(Figure f, IReadOnlyList<int> sizes)
    {
        int start = 0;
        for (int g = 0; g < sizes.Count; g++)
        {
            if (sizes[g] == 0) continue;
            var span = f.Plot.Add.HorizontalSpan(f.X(start + 1), f.X(start + sizes[g] + 0.999));
            span.FillColor = Figure.GroupColor(g, sizes.Count).WithAlpha(0.25);
            span.LineColor = ScottPlot.Colors.Transparent;
            start += sizes[g];
        }
    }

    /// <summary>
    /// One bar per optimizer on a log axis (values spanning decades), named on the x-axis, in its colour. A bar runs from
    /// <paramref name="from"/> (e.g. the initial loss, drawn as a dashed line: the bar's length is how many decades the run
    /// took off it) to its value; without it, from the decade below the smallest value, so bar heights compare orders of magnitude.
    /// </summary>
    public static Figure LogBars(string title, string xLabel, string yLabel, IReadOnlyList<(string Optimizer, double Value)> bars, double? from = null)
    {
        var f = new Figure(title, xLabel, yLabel, logY: true);
        var shown = bars.Where(b => b.Value > 0 && double.IsFinite(b.Value)).ToList();
        if (shown.Count == 0) return f;
        double floor = from is double l0 && l0 > 0 ? Math.Log10(l0) : Math.Floor(Math.Log10(shown.Min(b => b.Value))) - 0.25;
        var list = bars.Select((b, i) => new ScottPlot.Bar
        {
            Position = i, ValueBase = floor, Value = b.Value > 0 && double.IsFinite(b.Value) ? Math.Log10(b.Value) : floor,
            FillColor = Figure.OptimizerColor(b.Optimizer),
        }).ToList();
        if (from is double initial && initial > 0)
        {
            var line = f.Plot.Add.HorizontalLine(floor);
            line.LinePattern = LinePattern.Dashed;
            line.Color = ScottPlot.Colors.Black;
            line.LegendText = $"initial loss {initial:G3}";
        }
        f.Plot.Add.Bars(list);
        f.Plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, bars.Count).Select(i => (double)i).ToArray(), bars.Select(b => b.Optimizer).ToArray());
        if (bars.Count > 8)
        {
            // many names side by side overlap: slant them, with room below the axis for the longest
            f.Plot.Axes.Bottom.TickLabelStyle.Rotation = 40;
            f.Plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
            f.Plot.Axes.Bottom.MinimumSize = 30 + 6.5f * bars.Max(b => b.Optimizer.Length);
        }
        return f;
    }

    /// <summary>L_T/L_0 of the rarest frequency group: how much of its initial loss is left at the end of run <paramref name="r"/>.</summary>
    public static double RarestGroupRatio(RunRecord r) => r.Rows[^1].GroupLosses[^1] / r.Rows[0].GroupLosses[^1];
}
