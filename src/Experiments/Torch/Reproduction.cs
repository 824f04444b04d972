using System.Diagnostics;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Recipes.Report;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Torch;

/// <summary>What a reproduce ran: every recipe's outcome, the recipes left out and why, and the wall time.</summary>
public sealed record ReproduceResult(IReadOnlyList<RecipeOutcome> Outcomes, IReadOnlyList<string> Skipped, double WallSeconds)
{
    /// <summary>Every recipe finished without an error (checks may still fail: they are reported, not errors).</summary>
    public bool AllFinished => Outcomes.All(o => o.Error == null);
}

/// <summary>
/// `heavytail reproduce` and `heavytail run` as library calls: every recipe (the linear and theory ones of
/// <see cref="Cookbook"/>, then the TorchSharp ones), run into one folder with report.md and report.html.
/// </summary>
public static class Reproduction
{
    /// <summary>Every recipe: the linear and theory ones, then the TorchSharp ones.</summary>
    public static IEnumerable<IRecipe> Everything => Cookbook.All.Concat(TorchCookbook.All);

    /// <summary>The recipe named <paramref name="name"/>; an unknown name is one <see cref="UserError"/> line with the names.</summary>
    public static IRecipe Find(string name) => Everything.FirstOrDefault(r => r.Name == name)
        ?? throw new UserError($"unknown recipe '{name}'{Analytic.Spelling.DidYouMean(name, Everything.Select(r => r.Name))}; `heavytail list` shows them: {string.Join(", ", Everything.Select(r => r.Name))}.");

    /// <summary>The recipes a reproduce runs, and those it leaves out with the reason (the TorchSharp ones without <paramref name="withTorch"/> or where they cannot run).</summary>
    public static (IReadOnlyList<IRecipe> Recipes, IReadOnlyList<string> Skipped) Select(bool withTorch)
    {
        var recipes = Cookbook.All.ToList<IRecipe>();
        var skipped = new List<string>();
        foreach (var t in TorchCookbook.All)
        {
            if (!withTorch) skipped.Add($"{t.Name}: TorchSharp recipe on real data, run only with --with-torch (it needs `scripts/get-data.sh` and ≈ 5–12 min at small scale).");
            else if (t.Unavailable() is { } why) skipped.Add($"{t.Name}: {why}.");
            else recipes.Add(t);
        }
        return (recipes, skipped);
    }

    /// <summary>
    /// Runs <paramref name="recipes"/> in order into <paramref name="dir"/> (the runs they share cached under DIR/_cache) and
    /// writes report.md and report.html.
    /// </summary>
    /// <param name="environmentFor">the run environment of each recipe (its log routed as the caller wants).</param>
    /// <param name="finished">called after each recipe with its index and outcome (progress).</param>
    public static ReproduceResult Run(IReadOnlyList<IRecipe> recipes, IReadOnlyList<string> skipped, string dir, Scale scale,
        Func<IRecipe, RunEnvironment> environmentFor, Action<int, RecipeOutcome>? finished = null)
    {
        var sw = Stopwatch.StartNew();
        var outcomes = new List<RecipeOutcome>();
        for (int i = 0; i < recipes.Count; i++)
        {
            outcomes.Add(RecipeRunner.Execute(recipes[i], dir, scale, environmentFor(recipes[i])));
            finished?.Invoke(i, outcomes[^1]);
        }
        ReportWriter.Write(dir, outcomes, scale.ToString().ToLowerInvariant(), sw.Elapsed.TotalSeconds, skipped);
        return new ReproduceResult(outcomes, skipped, sw.Elapsed.TotalSeconds);
    }
}
