using System.Collections.Concurrent;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Recipes.Plots;
using ScottPlot;

namespace HeavyTail.Experiments.Tests;

/// <summary>
/// Issue 26 §4: every figure of every recipe (tiny scale), checked as saved (<see cref="RecipeContext.Drawn"/>: the plot's
/// last render is the saved one) — from the plotted data and the legend's box — for a legend over data, and for log axes
/// with a labelled tick per decade.
/// </summary>
public class FigureLegendTests : IClassFixture<FigureLegendTests.Rendering>
{
    /// <summary>One saved figure (one panel of a multi-panel figure): where it came from, its title and what is wrong with it (empty: nothing).</summary>
    public sealed record Seen(string Png, string Title, List<string> Problems, bool LegendInside, bool HasLegend)
    {
        /// <summary>The recipe that drew it.</summary>
        public string Recipe { get; init; } = "";
    }

    /// <summary>Every recipe run at tiny scale into one folder (one shared cache), each figure inspected as its recipe saved it.</summary>
    public sealed class Rendering
    {
        public string Dir { get; } = CliHarness.TempDir();
        public ConcurrentBag<Seen> Figures { get; } = new();
        public Dictionary<string, string> Errors { get; } = new();

        public Rendering()
        {
            var env = new Runs.RunEnvironment(HeavyTail.Analytic.LinearAlgebra.ComputeContext.Managed());
            foreach (var recipe in Cookbook.All)
            {
                var rc = new RecipeContext(Dir, recipe.Name, Scale.Tiny, env);
                try { recipe.Run(rc); }
                catch (Exception e) { Errors[recipe.Name] = e.ToString(); }
                Assert.Equal(rc.Figures.Count > 0, rc.Drawn.Count > 0);
                foreach (var f in rc.Drawn) Figures.Add(Inspect(f, recipe.Name) with { Recipe = recipe.Name });
            }
        }
    }

    private readonly Rendering _r;
    public FigureLegendTests(Rendering r) => _r = r;

    public static IEnumerable<object[]> RecipeNames() => Cookbook.All.Select(r => new object[] { r.Name });

    [Theory]
    [MemberData(nameof(RecipeNames))]
    public void No_legend_covers_a_data_point_and_log_axes_label_every_decade(string recipe)
    {
        Assert.False(_r.Errors.ContainsKey(recipe), _r.Errors.GetValueOrDefault(recipe));
        var mine = _r.Figures.Where(f => f.Recipe == recipe).ToList();
        Assert.NotEmpty(mine);
        var bad = mine.Where(f => f.Problems.Count > 0).Select(f => $"'{f.Title}': {string.Join("; ", f.Problems)}").ToList();
        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }

    [Fact]
    public void The_check_sees_a_legend_forced_over_data()
    {
        var f = new Figure("forced", "x", "y");
        f.Line([0.0, 1, 2, 3], [0.0, 1, 2, 3], Colors.Black, "the diagonal");
        f.Line([0.0, 3], [3.0, 3], Colors.Red, "top", markers: true);
        string dir = CliHarness.TempDir();
        f.Save(dir, "auto");
        Assert.Empty(Inspect(f, "auto").Problems);
        f.Plot.ShowLegend(Alignment.UpperRight);   // over the diagonal's end and the top-right marker
        f.Plot.SavePng(Path.Combine(dir, "forced.png"), Figure.Width, Figure.Height);
        Assert.Contains(Inspect(f, "forced").Problems, p => p.Contains("legend covers"));
    }

    /// <summary>The checks, from the plot's last render: its data in pixels against the legend's box; the labels of its log axes.</summary>
    public static Seen Inspect(Figure f, string png)
    {
        var plot = f.Plot;
        var problems = new List<string>();
        bool hasLegend = plot.GetPlottables().Any(p => p is IHasLegendText l && !string.IsNullOrEmpty(l.LegendText));
        bool inside = hasLegend && plot.Legend.IsVisible;
        if (inside)
        {
            var d = plot.RenderManager.LastRender.DataRect;
            var size = plot.Legend.LastRenderSize;
            var m = plot.Legend.Margin;
            var box = new PixelRect(0, size.Width, size.Height, 0)
                .AlignedInside(new PixelRect(d.Left + m.Left, d.Right - m.Right, d.Bottom - m.Bottom, d.Top + m.Top), plot.Legend.Alignment);
            bool In(Pixel p) => p.X >= box.Left && p.X <= box.Right && p.Y >= box.Top && p.Y <= box.Bottom;
            foreach (var s in plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Where(s => s.IsVisible))
            {
                var px = s.Data.GetScatterPoints().Select(c => plot.GetPixel(c)).Where(p => float.IsFinite(p.X) && float.IsFinite(p.Y)).ToList();
                // every point, and every line drawn between points sampled at half-pixel steps
                var covered = px.Where(In).Concat(s.LineWidth > 0 ? px.Zip(px.Skip(1)).SelectMany(Sample).Where(In) : []).FirstOrDefault();
                if (px.Any(In) || (s.LineWidth > 0 && px.Zip(px.Skip(1)).SelectMany(Sample).Any(In)))
                    problems.Add($"the legend covers '{s.LegendText}' near pixel ({covered.X:F0}, {covered.Y:F0})");
            }
            foreach (var b in plot.GetPlottables().OfType<ScottPlot.Plottables.BarPlot>().SelectMany(b => b.Bars))
            {
                var top = plot.GetPixel(new Coordinates(b.Position, b.Value));
                if (In(top)) problems.Add($"the legend covers the bar at {b.Position}");
            }
        }
        var limits = plot.Axes.GetLimits();
        if (f.LogX) problems.AddRange(DecadeLabels("x", plot.Axes.Bottom.TickGenerator, limits.Left, limits.Right));
        if (f.LogY) problems.AddRange(DecadeLabels("y", plot.Axes.Left.TickGenerator, limits.Bottom, limits.Top));
        return new Seen(png, plot.Axes.Title.Label.Text, problems, inside, hasLegend);
    }

    /// <summary>A log axis (log10 units [lo, hi]) shows at least two labels, and one at every decade in view when it spans ten or fewer.</summary>
    private static IEnumerable<string> DecadeLabels(string axis, ITickGenerator ticks, double lo, double hi)
    {
        var labelled = ticks.Ticks.Where(t => t.IsMajor && !string.IsNullOrEmpty(t.Label) && t.Position >= lo - 1e-9 && t.Position <= hi + 1e-9).ToList();
        if (labelled.Count < 2) yield return $"log {axis} axis over [{lo:F2}, {hi:F2}] has {labelled.Count} tick label(s)";
        if (hi - lo > 10) yield break;
        for (int k = (int)Math.Ceiling(lo - 1e-9); k <= hi + 1e-9; k++)
            if (!labelled.Any(t => Math.Abs(t.Position - k) < 1e-9)) yield return $"log {axis} axis: no label at 10^{k}";
    }

    private static IEnumerable<Pixel> Sample((Pixel A, Pixel B) s)
    {
        double len = Math.Sqrt(Math.Pow(s.B.X - s.A.X, 2) + Math.Pow(s.B.Y - s.A.Y, 2));
        int n = (int)Math.Min(10_000, Math.Ceiling(len * 2));
        for (int i = 1; i < n; i++)
            yield return new Pixel(s.A.X + (s.B.X - s.A.X) * i / n, s.A.Y + (s.B.Y - s.A.Y) * i / n);
    }
}
