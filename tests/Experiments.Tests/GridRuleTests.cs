using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Ode.Training;
using HeavyTail.Analytic.Data;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Tests;

public class GridRuleTests
{
    private static readonly ProblemOptions Tiny = new() { Name = "zipf", Classes = 4, Samples = 40, Dimension = 3 };

    private static RunRecord Fake(double lr, double initial, double final, bool diverged) =>
        new(new RunSpec(Tiny, new OptimizerSettings("gd", lr), 10, 1),
            [new TrainingRow(0, initial, [initial]), new TrainingRow(10, final, [final])], diverged, 0);

    private static GridPoint P(double lr, params (double Final, bool Diverged)[] seeds) =>
        GridSearch.Point(lr, seeds.Select(s => Fake(lr, 2.0, s.Final, s.Diverged)).ToList());

    [Fact]
    public void Selects_the_step_size_with_the_smallest_worst_loss_over_seeds()
    {
        var r = GridSearch.Select("gd", [P(0.01, (1.0, false), (1.2, false)), P(0.1, (0.5, false), (1.5, false)), P(1, (0.9, false), (1.1, false))]);
        Assert.Equal(1, r.BestLr);      // worst-case 1.1 beats 1.2 and 1.5
        Assert.False(r.AtEdge);
    }

    [Fact]
    public void A_diverged_run_counts_as_its_initial_loss()
    {
        var r = GridSearch.Select("gd", [P(0.1, (1.9, false)), P(1, (0.01, false), (double.NaN, true))]);
        Assert.Equal(2.0, r.Points.Single(p => p.Lr == 1).WorstScore);
        Assert.Equal(0.1, r.BestLr);
        Assert.True(r.Points.Single(p => p.Lr == 1).AnyDiverged);
    }

    [Fact]
    public void Ties_go_to_the_smaller_step_size_and_edges_are_flagged()
    {
        var r = GridSearch.Select("gd", [P(10, (0.5, false)), P(1e-6, (0.5, false)), P(1e-3, (0.7, false))]);
        Assert.Equal(1e-6, r.BestLr);
        Assert.True(r.AtEdge);
        Assert.True(GridSearch.Select("gd", [P(10, (0.1, false)), P(1, (0.5, false))]).AtEdge);
    }

    [Fact]
    public void The_grid_is_the_papers_powers_of_ten_and_never_grows_past_them()
    {
        Assert.Equal([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10], GridSearch.Coarse().Select(v => Math.Round(v, 12)));
        Assert.Equal(2, GridSearch.Refine(0.1).Length);
        Assert.Single(GridSearch.Refine(10));      // only 10/√10: nothing beyond 1e1
        Assert.Single(GridSearch.Refine(1e-6));
    }

    [Fact]
    public void A_killed_grid_resumes_and_trains_only_the_missing_runs()
    {
        string dir = CliHarness.TempDir();
        var cache = new RunCache(Path.Combine(dir, "_cache"), new RunEnvironment(ComputeContext.Managed()));
        var full = GridSearch.Run(cache, Tiny, new OptimizerSettings("gd", 1), 20, 5, [0])!;
        Assert.Equal(10, cache.Trained);
        // simulate a kill: two runs lost their status file, one CSV is truncated
        var jsons = Directory.GetFiles(cache.Directory, "*.json").OrderBy(f => f).ToArray();
        File.Delete(jsons[0]); File.Delete(jsons[1]);
        var csvs = Directory.GetFiles(cache.Directory, "*.csv").OrderBy(f => f).ToArray();
        File.WriteAllText(csvs[5], "step,loss\n0,1");
        var again = new RunCache(cache.Directory, cache.Environment);
        var resumed = GridSearch.Run(again, Tiny, new OptimizerSettings("gd", 1), 20, 5, [0])!;
        Assert.InRange(again.Trained, 2, 3);
        Assert.Equal(full.BestLr, resumed.BestLr);
        Assert.Equal(full.Points.Select(p => p.WorstScore), resumed.Points.Select(p => p.WorstScore));
        Assert.Empty(Directory.GetFiles(cache.Directory, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Shards_merge_to_the_same_answer_as_one_unsharded_run()
    {
        string whole = CliHarness.TempDir(), s0 = CliHarness.TempDir(), s1 = CliHarness.TempDir(), s2 = CliHarness.TempDir();
        string[] common = ["--problem", "zipf", "--classes", "4", "--samples", "40", "--dim", "3", "--optimizer", "adam", "--steps", "15", "--seeds", "2", "--quiet"];
        Assert.Equal(0, CliHarness.Run(["grid", .. common, "--out", whole]).Code);
        Assert.Equal(0, CliHarness.Run(["grid", .. common, "--shard", "0/3", "--out", s0]).Code);
        Assert.Equal(0, CliHarness.Run(["grid", .. common, "--shard", "1/3", "--out", s1]).Code);
        Assert.Equal(0, CliHarness.Run(["grid", .. common, "--shard", "2/3", "--out", s2]).Code);
        var m = CliHarness.Run("grid", "merge", s0, s1, s2);
        Assert.True(m.Code == 0, m.Err);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "best.json")), File.ReadAllText(Path.Combine(s0, "best.json")));
        Assert.True(PngTests.IsPng(Path.Combine(s0, "grid.png"), out _, out _));
        var bad = CliHarness.Run("grid", "merge", s0, CliHarness.TempDir());
        Assert.Equal(2, bad.Code);
        Assert.Contains("not a grid folder", bad.Err);
    }
}
