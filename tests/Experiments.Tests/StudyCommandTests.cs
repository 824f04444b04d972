using System.Text.Json;

namespace HeavyTail.Experiments.Tests;

/// <summary>Issue 26 §1: `heavytail study` on the user's own arrays gives the paper's Figure 2 and its checks in one command.</summary>
public class StudyCommandTests
{
    private static (string Dir, string X, string Y) OwnData()
    {
        string dir = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run("data", "--problem", "ht-random", "--m", "4", "--out", dir, "--quiet").Code);
        return (dir, Path.Combine(dir, "X.npy"), Path.Combine(dir, "y.npy"));
    }

    [Fact]
    public void Study_of_own_arrays_writes_the_figure_the_report_and_the_grids_a_grid_command_agrees_with()
    {
        var (_, x, y) = OwnData();
        string od = CliHarness.TempDir();
        var r = CliHarness.Run("study", "--x", x, "--y", y, "--optimizers", "gd,adam", "--steps", "20", "--out", od, "--quiet");
        Assert.True(r.Code == 0, r.Err + r.Out);
        foreach (var f in new[] { "figure2.png", "figure2.svg", "overall.png", "report.md", "study.json", "class_distribution.csv", "gd/best.json", "adam/trajectory.csv" })
            Assert.True(File.Exists(Path.Combine(od, f)), f);
        Assert.True(PngTests.IsPng(Path.Combine(od, "figure2.png"), out _, out _));
        using var study = JsonDocument.Parse(File.ReadAllText(Path.Combine(od, "study.json")));
        var root = study.RootElement;
        Assert.True(root.GetProperty("groups").GetArrayLength() > 1);
        Assert.Equal(15, root.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("classes").GetArrayLength()));
        // the same grid by the grid command selects the same step size
        string gd = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run("grid", "--x", x, "--y", y, "--optimizer", "gd", "--steps", "20", "--out", gd, "--quiet").Code);
        using var best = JsonDocument.Parse(File.ReadAllText(Path.Combine(gd, "best.json")));
        Assert.Equal(best.RootElement.GetProperty("selected_lr").GetDouble(), root.GetProperty("selected_lr").GetProperty("gd").GetDouble());
        // the reading follows the checks: every check's verdict is in report.md, and the reading's sentence matches them
        string report = File.ReadAllText(Path.Combine(od, "report.md"));
        var checks = root.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(3, checks.Count); // GD rarest, adam rarest, adam vs GD
        bool versus = checks.Single(c => c.GetProperty("name").GetString() == "adam vs GD").GetProperty("pass").GetBoolean();
        Assert.Contains(versus ? "the paper's Figure 2 reappears" : "does not reappear", root.GetProperty("reading").GetString());
        Assert.Contains(root.GetProperty("reading").GetString()!, report);
    }

    [Fact]
    public void A_second_study_reads_every_run_from_the_cache_and_writes_the_same_results()
    {
        var (_, x, y) = OwnData();
        string od = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run("study", "--x", x, "--y", y, "--optimizers", "sign", "--steps", "10", "--out", od, "--quiet").Code);
        string first = File.ReadAllText(Path.Combine(od, "study.json"));
        int cached = Directory.GetFiles(Path.Combine(od, "_cache"), "*.json").Length;
        Assert.Equal(0, CliHarness.Run("study", "--x", x, "--y", y, "--optimizers", "sign", "--steps", "10", "--out", od, "--quiet").Code);
        Assert.Equal(first, File.ReadAllText(Path.Combine(od, "study.json")));
        Assert.Equal(cached, Directory.GetFiles(Path.Combine(od, "_cache"), "*.json").Length);
    }

    [Theory]
    [InlineData("--optimizers", "gd,adamm", "unknown optimizer 'adamm'")]
    [InlineData("--seeds", "2", "with --x/--y the data is fixed")]
    [InlineData("--steps", "0", "--steps 0 must be at least 1")]
    public void Bad_settings_are_one_line_and_exit_2(string option, string value, string expected)
    {
        var (_, x, y) = OwnData();
        var r = CliHarness.Run("study", "--x", x, "--y", y, option, value, "--out", CliHarness.TempDir());
        Assert.Equal(2, r.Code);
        Assert.Contains(expected, r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Dry_run_prices_the_study_and_writes_nothing()
    {
        var (_, x, y) = OwnData();
        string od = Path.Combine(CliHarness.TempDir(), "never");
        var r = CliHarness.Run("study", "--x", x, "--y", y, "--optimizers", "gd,adam", "--steps", "50", "--dry-run", "--out", od);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("20 runs × 50 steps", r.Out);
        Assert.False(Directory.Exists(od));
    }
}
