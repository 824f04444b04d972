using System.Text.RegularExpressions;

namespace HeavyTail.Experiments.Tests;

/// <summary>Progress when output is not a terminal (plain lines, one per finished run) and with --quiet (none).</summary>
public class ProgressTests
{
    private static readonly string[] Grid =
        ["grid", "--problem", "zipf", "--classes", "4", "--samples", "40", "--dim", "3", "--optimizer", "gd", "--steps", "10", "--seeds", "2", "--lrs", "0.1,1,10"];

    [Fact]
    public void A_grid_off_a_terminal_prints_one_plain_line_per_finished_run()
    {
        var r = CliHarness.Run([.. Grid, "--out", CliHarness.TempDir()]);
        Assert.True(r.Code == 0, r.Err);
        var runLines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => Regex.IsMatch(l, @"^  gd lr=\S+ seed=\d: ")).ToList();
        Assert.Equal(6, runLines.Count);                       // 3 step sizes × 2 seeds, each once
        Assert.Equal(6, runLines.Distinct().Count());
        Assert.DoesNotContain('\u001b', r.Out + r.Err);        // no ANSI control sequences (no live display)
        Assert.Single(r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_quiet_grid_prints_only_its_result()
    {
        var r = CliHarness.Run([.. Grid, "--quiet", "--out", CliHarness.TempDir()]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("", r.Err);
        Assert.StartsWith("gd: selected η = ", Assert.Single(r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
