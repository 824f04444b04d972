using System.Globalization;
using HeavyTail.Experiments.Cli;
using HeavyTail.Experiments.Recipes;

namespace HeavyTail.Experiments.Tests;

/// <summary>`reproduce --dry-run`: the plan, its FLOPs and estimates, with nothing trained or written.</summary>
public class DryRunTests
{
    /// <summary>Reads back "1.23 PFLOP" (3 significant digits).</summary>
    private static double ParseFlops(string text)
    {
        var parts = text.Trim().Split(' ');
        int e = "kMGTPE".IndexOf(parts[1][0]) + 1;   // "FLOP" alone: e = 0
        return double.Parse(parts[0], CultureInfo.InvariantCulture) * Math.Pow(1000, parts[1] == "FLOP" ? 0 : e);
    }

    [Fact]
    public void Paper_dry_run_prints_every_planned_row_and_their_sum_and_writes_nothing()
    {
        string dir = Path.Combine(CliHarness.TempDir(), "runs");
        var r = CliHarness.Run("reproduce", "--scale", "paper", "--dry-run", "--shards", "4", "--out", dir);
        Assert.True(r.Code == 0, r.Err);
        Assert.False(Directory.Exists(dir));
        var plan = ReproducePlan.For(Scale.Paper);
        var lines = r.Out.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int first = lines.FindIndex(l => l.StartsWith("----")), last = lines.FindLastIndex(l => l.StartsWith("----"));
        var rows = lines.Skip(first + 1).Take(last - first - 1).ToList();
        Assert.Equal(plan.Count, rows.Count);
        // the FLOP column (last, right-aligned; "0 (cached: …)" for runs the cache already holds) against the plan, row by row
        double printedSum = 0;
        for (int i = 0; i < plan.Count; i++)
        {
            Assert.StartsWith(plan[i].Recipe, rows[i]);
            if (plan[i].CachedBy != null) { Assert.EndsWith($"0 (cached: {plan[i].CachedBy})", rows[i]); continue; }
            string cell = string.Join(' ', rows[i].Split(' ', StringSplitOptions.RemoveEmptyEntries)[^2..]);
            Assert.Equal(ReproduceDryRun.Flops(plan[i].Flops), cell);
            printedSum += ParseFlops(cell);
        }
        string totalLine = lines[last + 1];
        Assert.StartsWith("total", totalLine);
        double total = plan.Sum(p => p.Flops);
        Assert.EndsWith(ReproduceDryRun.Flops(total), totalLine);
        // the printed rows (3 significant digits each) add up to the printed total within their rounding (½ unit in the 3rd digit)
        Assert.InRange(printedSum, total * (1 - 5e-3), total * (1 + 5e-3));
        Assert.Contains("ASSUMED", r.Out);
        Assert.Contains("4 SLURM array tasks", r.Out);
    }

    [Fact]
    public void Flops_per_step_follow_the_stated_formula()
    {
        // HT-Random m = 11: n = 22528, d = 24576, c = 2047; 2·(2·n·d·c) + 5·n·c + 10·d·c per step
        var row = ReproducePlan.For(Scale.Paper).First(r => r.Problem.Name == "ht-random");
        double n = 22528, d = 24576, c = 2047;
        Assert.Equal((n, d, c), ((double)row.Sizes.N, (double)row.Sizes.D, (double)row.Sizes.C));
        Assert.Equal(1000 * (4 * n * d * c + 5 * n * c + 10 * d * c), row.FlopsPerRun, 1e-12 * row.FlopsPerRun);
        // the one-hot population model skips the GEMMs
        var oneHot = ReproducePlan.For(Scale.Paper).First(r => r.Problem.Name == "one-hot");
        Assert.Equal(oneHot.Steps * 15.0 * 100 * 100, oneHot.FlopsPerRun);
    }

    [Fact]
    public void Shards_must_be_positive()
    {
        var r = CliHarness.Run("reproduce", "--dry-run", "--shards", "0");
        Assert.Equal(2, r.Code);
        Assert.Contains("--shards 0", r.Err);
    }
}
