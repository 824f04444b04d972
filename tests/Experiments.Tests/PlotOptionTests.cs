using HeavyTail.Experiments.Recipes.Plots;

namespace HeavyTail.Experiments.Tests;

/// <summary>Issue 26 §4: `plot --label` and `--style` per input, legend names from run.json, y label in nats.</summary>
public class PlotOptionTests
{
    private static string Train(string optimizer, string lr)
    {
        string dir = Path.Combine(CliHarness.TempDir(), "run");
        var r = CliHarness.Run("train", "--problem", "ht-random", "--m", "3", "--optimizer", optimizer, "--lr", lr, "--steps", "5", "--out", dir, "--quiet");
        Assert.True(r.Code == 0, r.Err);
        return Path.Combine(dir, "trajectory.csv");
    }

    /// <summary>Draws through the library (<see cref="CsvPlots.Draw"/>, what `plot` calls); returns the curves (legend, drawn as markers) and the y label.</summary>
    private static (List<(string Label, bool Markers)> Curves, string YLabel) Draw(IReadOnlyList<string> paths, string png, IReadOnlyList<string>? labels = null, IReadOnlyList<string>? styles = null)
    {
        var f = CsvPlots.Draw(new PlotRequest(paths, png, Columns: ["loss"], Labels: labels, Styles: styles)).Figure;
        var curves = f.Plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => (s.LegendText, s.LineWidth == 0 && s.MarkerSize > 0)).ToList();
        return (curves, f.Plot.Axes.Left.Label.Text);
    }

    private static (int Code, string Err) Plot(params string[] args)
    {
        var r = CliHarness.Run(["plot", .. args]);
        return (r.Code, r.Err);
    }

    [Fact]
    public void Curves_are_named_from_run_json_and_drawn_as_lines_unless_a_style_says_otherwise()
    {
        string gd = Train("gd", "0.5"), adam = Train("adam", "0.01");
        string png = Path.Combine(CliHarness.TempDir(), "p.png");
        var r = Draw([gd, adam], png);
        Assert.Equal([("gd, η = 0.5: loss", false), ("adam, η = 0.01: loss", false)], r.Curves);
        Assert.Equal("training loss (nats)", r.YLabel);
        var styled = Draw([gd, adam], png, ["GD", "Adam"], ["markers", "lines"]);
        Assert.Equal([("GD: loss", true), ("Adam: loss", false)], styled.Curves);
        Assert.All(Draw([gd, adam], png, styles: ["markers"]).Curves, c => Assert.True(c.Markers));
        // the command passes its options through
        Assert.Equal(0, Plot(gd, adam, "--columns", "loss", "--style", "markers", "--style", "lines", "--label", "GD", "--label", "Adam", "--out", png).Code);
        Assert.True(File.Exists(png));
    }

    [Fact]
    public void Two_runs_with_the_same_settings_are_told_apart_by_their_folders()
    {
        string a = Train("gd", "0.5"), b = Train("gd", "0.5");
        var r = Draw([a, b], Path.Combine(CliHarness.TempDir(), "p.png"));
        Assert.Equal(2, r.Curves.Select(c => c.Label).Distinct().Count());
        // both folders are called run: the labels name the whole paths
        Assert.Equal($"gd, η = 0.5 ({Path.GetFullPath(a)}): loss", r.Curves[0].Label);
        Assert.Equal($"gd, η = 0.5 ({Path.GetFullPath(b)}): loss", r.Curves[1].Label);
    }

    [Theory]
    [InlineData(new[] { "--label", "only-one" }, "--label was given 1 times for 2 inputs")]
    [InlineData(new[] { "--style", "dots" }, "--style 'dots' must be lines or markers")]
    [InlineData(new[] { "--style", "lines", "--style", "markers", "--style", "lines" }, "--style was given 3 times for 2 inputs")]
    public void A_label_or_style_that_does_not_fit_the_inputs_is_one_line_and_exit_2(string[] options, string message)
    {
        string a = Train("gd", "0.5");
        string png = Path.Combine(CliHarness.TempDir(), "p.png");
        var r = Plot([a, a, "--out", png, .. options]);
        Assert.Equal(2, r.Code);
        Assert.Contains(message, r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.False(File.Exists(png));
    }
}
