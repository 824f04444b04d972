using System.Text.Json.Nodes;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Recipes.Report;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Tests;

/// <summary>
/// Issue 26 §5: a rerun that reads a recipe's runs from the cache keeps the wall time of the run that computed them in
/// run.json and report.md, and records its own time apart (cached_read_seconds).
/// </summary>
public class RecipeWallTimeTests
{
    private static JsonNode RunJson(string dir, string recipe) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, recipe, "run.json")))!;

    [Fact]
    public void A_cached_rerun_keeps_the_first_wall_time_and_records_its_own_apart()
    {
        string dir = CliHarness.TempDir();
        var first = CliHarness.Run("run", "ht-random-gd-vs-adam", "--scale", "tiny", "--out", dir, "--quiet");
        Assert.True(first.Code == 0, first.Err);
        var j1 = RunJson(dir, "ht-random-gd-vs-adam");
        double wall = (double)j1["wall_seconds"]!;
        Assert.Null(j1["cached_read_seconds"]);

        for (int rerun = 0; rerun < 2; rerun++)   // carried over by every cached rerun, not only the first
        {
            var again = CliHarness.Run("run", "ht-random-gd-vs-adam", "--scale", "tiny", "--out", dir, "--quiet");
            Assert.True(again.Code == 0, again.Err);
            var j = RunJson(dir, "ht-random-gd-vs-adam");
            Assert.Equal(wall, (double)j["wall_seconds"]!);
            Assert.True((double)j["cached_read_seconds"]! >= 0);
        }
    }

    [Fact]
    public void A_recipe_that_reads_no_runs_reports_its_own_time()
    {
        string dir = CliHarness.TempDir();
        for (int i = 0; i < 2; i++)
        {
            var r = CliHarness.Run("run", "class-distribution", "--scale", "tiny", "--out", dir, "--quiet");
            Assert.True(r.Code == 0, r.Err);
            Assert.Null(RunJson(dir, "class-distribution")["cached_read_seconds"]);
        }
    }

    [Fact]
    public void The_cache_counts_what_it_read_and_wrote()
    {
        string dir = CliHarness.TempDir();
        var env = new RunEnvironment(ComputeContext.Managed());
        var spec = env.Spec(new ProblemOptions { Name = "ht-random", M = 3 }, new OptimizerSettings("gd", 0.5), 5, 1);
        var fresh = new RunCache(dir, env);
        fresh.GetOrRun(spec);
        Assert.Equal((1, false), (fresh.Stored, fresh.OnlyRead));
        var reread = new RunCache(dir, env);
        reread.GetOrRun(spec);
        Assert.Equal((0, 1, true), (reread.Stored, reread.Read, reread.OnlyRead));
        Assert.False(new RunCache(dir, env).OnlyRead);   // nothing read, nothing written: not a cached read
    }

    [Fact]
    public void The_report_says_which_time_is_the_computation_and_which_the_cached_read()
    {
        string dir = CliHarness.TempDir();
        var outcome = new RecipeOutcome("r", "a recipe", "", [], [], new Dictionary<string, double>(), [], 2166.0, null) { CachedReadSeconds = 0.74 };
        ReportWriter.Write(dir, [outcome], "small", 0.8, []);
        string md = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("Wall time: 2166.0 s (the run that computed it; this rerun read its runs from the cache in 0.7 s).", md);
        Assert.Contains("1 of 1 recipes read their runs from the cache; computing them took 2166.0 s", md);
    }
}
