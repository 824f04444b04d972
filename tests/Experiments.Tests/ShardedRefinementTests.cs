namespace HeavyTail.Experiments.Tests;

/// <summary>The cluster path: coarse shards, `grid merge --no-train`, `grid refine --shard K/N`, the final merge.</summary>
public class ShardedRefinementTests
{
    // HT-Random m = 4, Adam, 100 steps: the coarse best is 10 (refinement: 3.16 only); with --max-rise 0.01 the runs down to 0.1
    // are unstable, so the stability ladder trains 0.316 and 0.0316 after the refinement
    private static readonly string[] Common = ["--problem", "ht-random", "--m", "4", "--optimizer", "adam", "--steps", "100", "--seeds", "2", "--max-rise", "0.01", "--quiet"];

    private static HashSet<string> Runs(string dir) =>
        Directory.GetFiles(Path.Combine(dir, "_cache"), "*.json").Select(Path.GetFileName).ToHashSet()!;

    [Fact]
    public void Sharded_coarse_grid_refinement_and_merge_equal_one_unsharded_grid()
    {
        string whole = CliHarness.TempDir(), c0 = CliHarness.TempDir(), c1 = CliHarness.TempDir(), r0 = CliHarness.TempDir(), r1 = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run(["grid", .. Common, "--out", whole]).Code);
        Assert.Equal(0, CliHarness.Run(["grid", .. Common, "--shard", "0/2", "--out", c0]).Code);
        Assert.Equal(0, CliHarness.Run(["grid", .. Common, "--shard", "1/2", "--out", c1]).Code);

        var plan = CliHarness.Run("--quiet", "grid", "merge", "--no-train", c0, c1);
        Assert.True(plan.Code == 0, plan.Err);
        Assert.Contains("2 run(s) needed next", plan.Out);
        Assert.Contains("η = 3.162277660168379: seed(s) 0, 1", plan.Out);
        Assert.False(File.Exists(Path.Combine(c0, "best.json")));
        var coarse = Runs(c0);
        Assert.Equal(16, coarse.Count);                       // 8 step sizes × 2 seeds, nothing trained by the merge

        var a = CliHarness.Run("--quiet", "grid", "refine", "--shard", "0/2", "--out", r0, c0, c1);
        var b = CliHarness.Run("--quiet", "grid", "refine", "--shard", "1/2", "--out", r1, c0, c1);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        var own0 = Runs(r0).Except(coarse).ToList();
        var own1 = Runs(r1).Except(coarse).ToList();
        Assert.Single(own0);                                  // 3.16 on seed 0
        Assert.Single(own1);                                  // 3.16 on seed 1
        Assert.NotEqual(own0[0], own1[0]);

        // the refinement is complete: the next plan is the ladder's first missing step size
        var ladder = CliHarness.Run("--quiet", "grid", "merge", "--no-train", c0, c1, r0, r1);
        Assert.Contains("η = 0.3162277660168379: seed(s) 0, 1", ladder.Out);
        Assert.DoesNotContain("η = 3.16", ladder.Out);

        var merged = CliHarness.Run("--quiet", "grid", "merge", c0, c1, r0, r1);
        Assert.True(merged.Code == 0, merged.Err);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "best.json")), File.ReadAllText(Path.Combine(c0, "best.json")));
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "grid.csv")), File.ReadAllText(Path.Combine(c0, "grid.csv")));
        Assert.Equal(11, File.ReadAllLines(Path.Combine(c0, "grid.csv")).Length - 1);   // 8 coarse + 3.16 + the ladder's 0.316, 0.0316

        // complete now: --no-train writes the same result; a refine shard has nothing to train
        Assert.Equal(0, CliHarness.Run("--quiet", "grid", "merge", "--no-train", c0).Code);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "best.json")), File.ReadAllText(Path.Combine(c0, "best.json")));
        var none = CliHarness.Run("--quiet", "grid", "refine", "--out", CliHarness.TempDir(), c0);
        Assert.Contains("nothing to train", none.Out);
    }

    [Theory]
    [InlineData("--shard", "2/2", "--shard '2/2'")]
    [InlineData("--shard", "0/2", "grid refine needs --out")]
    public void Refine_refuses_bad_arguments_in_one_line(string option, string value, string message)
    {
        string c = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run(["grid", .. Common, "--lrs", "0.1", "--out", c]).Code);
        string[] args = message.Contains("--out") ? ["grid", "refine", option, value, c] : ["grid", "refine", option, value, "--out", CliHarness.TempDir(), c];
        var r = CliHarness.Run(args);
        Assert.Equal(2, r.Code);
        Assert.Contains(message, r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Refine_refuses_folders_of_different_grids()
    {
        string a = CliHarness.TempDir(), b = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run(["grid", .. Common, "--lrs", "0.1", "--out", a]).Code);
        Assert.Equal(0, CliHarness.Run(["grid", .. Common, "--lrs", "0.01", "--out", b]).Code);
        var r = CliHarness.Run("grid", "refine", "--out", CliHarness.TempDir(), a, b);
        Assert.Equal(2, r.Code);
        Assert.Contains("holds a different grid", r.Err);
    }
}
