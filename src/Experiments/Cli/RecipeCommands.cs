using HeavyTail.Experiments.Torch;
using System.CommandLine;
using System.Diagnostics;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Recipes.Report;
using Spectre.Console;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>`heavytail list`, `heavytail run NAME`, `heavytail reproduce`.</summary>
public static class RecipeCommands
{
    public static Command List(CliContext ctx)
    {
        var cmd = new Command("list", "List the experiments (recipes).");
        cmd.SetAction(_ =>
        {
            var t = new Table().AddColumn("name").AddColumn("description");
            foreach (var r in Everything)
                t.AddRow(Markup.Escape(r.Name), Markup.Escape(r is TorchRecipe ? $"[torch] {r.Description}" : r.Description));
            ctx.Console.Write(t);
            return 0;
        });
        return cmd;
    }

    /// <summary>Every recipe: the linear and theory ones, then the TorchSharp ones.</summary>
    public static IEnumerable<IRecipe> Everything => Cookbook.All.Concat(TorchCookbook.All);

    public static IRecipe Find(string name) => Everything.FirstOrDefault(r => r.Name == name)
        ?? throw new UserError($"unknown recipe '{name}'{Analytic.Spelling.DidYouMean(name, Everything.Select(r => r.Name))}; `heavytail list` shows them: {string.Join(", ", Everything.Select(r => r.Name))}.");

    private static Option<string> ScaleOption() => new("--scale") { Description = "small (minutes on 2 cores), paper (the paper's sizes) or tiny (a smoke test in seconds)", DefaultValueFactory = _ => "small" };
    private static Option<string> OutOption() => new("--out") { Description = "output folder", DefaultValueFactory = _ => "runs" };

    private static Scale ParseScale(string s) => s switch
    {
        "small" => Scale.Small,
        "paper" => Scale.Paper,
        "tiny" => Scale.Tiny,
        _ => throw new UserError($"unknown --scale '{s}'{Analytic.Spelling.DidYouMean(s, ["small", "paper", "tiny"])}; choose small, paper or tiny."),
    };

    public static Command Run(CliContext ctx)
    {
        var name = new Argument<string>("name") { Description = "recipe name (see `heavytail list`)" };
        var scale = ScaleOption(); var outDir = OutOption();
        var cmd = new Command("run", "Run one experiment: figures (PNG, SVG), CSVs and run.json in DIR/NAME/.");
        cmd.Arguments.Add(name); cmd.Options.Add(scale); cmd.Options.Add(outDir); cmd.Options.Add(new DtypeOption());
        cmd.SetAction(r =>
        {
            var recipe = Find(r.GetValue(name)!);
            if (recipe is TorchRecipe tr && tr.Unavailable() is { } why) throw new UserError(why);
            var sc = ParseScale(r.GetValue(scale)!);
            using var claim = ctx.Claim(r.GetValue(outDir)!, "run");
            string root = claim.Path;
            ctx.InterruptNote = $"the training runs that finished are kept in {Path.Combine(root, "_cache")}; rerun the same command to resume.";
            var outcome = Execute(ctx, recipe, root, sc);
            if (outcome.Error != null)
            {
                // one line, as every error: a missing or corrupt data set is the user's to fix (exit 2), any other failure exit 1
                ctx.Err.WriteLine($"error: {recipe.Name}: {outcome.Error}");
                return outcome.InputError ? HeavyTailCli.UserErrorExit : HeavyTailCli.InternalErrorExit;
            }
            Summarize(ctx, [outcome]);
            return 0;
        });
        return cmd;
    }

    public static Command Reproduce(CliContext ctx)
    {
        var scale = ScaleOption(); var outDir = OutOption();
        var withTorch = new Option<bool>("--with-torch") { Description = "also the CNN and transformer recipes on real data (TorchSharp; data from scripts/get-data.sh)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "list the runs it would train (sizes, step sizes × seeds × steps, FLOPs) and the estimated wall time; trains and writes nothing" };
        var shards = new Option<int>("--shards") { Description = "with --dry-run: SLURM array tasks for the sharded estimate", DefaultValueFactory = _ => 8 };
        var cmd = new Command("reproduce", "Run every experiment in order and write DIR/report.md and DIR/report.html.");
        cmd.Options.Add(scale); cmd.Options.Add(outDir); cmd.Options.Add(withTorch); cmd.Options.Add(dryRun); cmd.Options.Add(shards); cmd.Options.Add(new DtypeOption());
        cmd.SetAction(r =>
        {
            var sc = ParseScale(r.GetValue(scale)!);
            if (r.GetValue(dryRun)) return ReproduceDryRun.Run(ctx, sc, r.GetValue(shards));
            if (r.GetResult(shards) is { Implicit: false })
                throw new UserError("--shards only sizes the sharded estimate of --dry-run; add --dry-run, or leave out --shards (a reproduce runs every recipe here).");
            using var claim = ctx.Claim(r.GetValue(outDir)!, "reproduce");
            string dir = claim.Path;
            ctx.InterruptNote = $"the recipes' training runs that finished are kept in {Path.Combine(dir, "_cache")}; rerun the same command to resume.";
            var sw = Stopwatch.StartNew();
            var outcomes = new List<RecipeOutcome>();
            var skipped = new List<string>();
            var recipes = Cookbook.All.ToList();
            foreach (var t in TorchCookbook.All)
            {
                if (!r.GetValue(withTorch)) skipped.Add($"{t.Name}: TorchSharp recipe on real data, run only with --with-torch (it needs `scripts/get-data.sh` and ≈ 5–12 min at small scale).");
                else if (t.Unavailable() is { } why) skipped.Add($"{t.Name}: {why}.");
                else recipes.Add(t);
            }
            if (ProgressDisplay.IsLive(ctx)) outcomes.AddRange(ExecuteLive(ctx, recipes, dir, sc));
            else ProgressDisplay.Run(ctx, "reproduce", recipes.Count, report =>
            {
                int i = 0;
                foreach (var recipe in recipes)
                {
                    outcomes.Add(Execute(ctx, recipe, dir, sc));
                    report(++i);
                }
                return 0;
            });
            ReportWriter.Write(dir, outcomes, sc.ToString().ToLowerInvariant(), sw.Elapsed.TotalSeconds, skipped);
            Summarize(ctx, outcomes);
            ctx.Out.WriteLine($"report: {Path.Combine(dir, "report.md")} and report.html ({sw.Elapsed.TotalSeconds:F1} s)");
            return outcomes.All(o => o.Error == null) ? 0 : 1;
        });
        return cmd;
    }

    /// <summary>Runs one recipe with this command's environment (its progress lines on stderr unless --quiet).</summary>
    public static RecipeOutcome Execute(CliContext ctx, IRecipe recipe, string root, Scale scale)
    {
        if (!ctx.Quiet) ctx.Out.WriteLine($"[{recipe.Name}] {recipe.Description}");
        return RecipeRunner.Execute(recipe, root, scale, ctx.Environment.WithLog(ctx.Quiet ? null : msg => ctx.Err.WriteLine($"  {recipe.Name}: {msg}")));
    }

    /// <summary>"3/3 pass", and for recipes that measure literature claims "…, 1 of 2 claims hold".</summary>
    private static string CheckSummary(IReadOnlyList<Check> checks)
    {
        var predictions = checks.Where(c => !c.Claim).ToList();
        var claims = checks.Where(c => c.Claim).ToList();
        string s = $"{predictions.Count(c => c.Pass)}/{predictions.Count} pass", held = $"{claims.Count(c => c.Pass)} of {claims.Count} claims hold";
        return claims.Count == 0 ? s : predictions.Count == 0 ? held : $"{s}, {held}";
    }

    /// <summary>A grid's line for one finished (or cached) run: "OPTIMIZER lr=η seed=s: loss" (<see cref="GridSearch"/>).</summary>
    private static readonly System.Text.RegularExpressions.Regex GridRunLine = new(@"^\S+ lr=\S+ seed=\d+: ");

    /// <summary>
    /// The recipes under a live progress display: one bar for the recipes (the current one named), one for the grid runs
    /// finished (trained or read from the cache) of those <see cref="ReproducePlan"/> lists, with the ETA; other log lines
    /// print above the display.
    /// </summary>
    private static List<RecipeOutcome> ExecuteLive(CliContext ctx, IReadOnlyList<IRecipe> recipes, string root, Scale scale)
    {
        int planned = ReproducePlan.For(scale).Where(r => r.What == "grid").Sum(r => r.Runs);
        return ProgressDisplay.Live(ctx, p =>
        {
            var recipeTask = p.AddTask("recipes", maxValue: recipes.Count);
            var runTask = p.AddTask("grid runs", maxValue: Math.Max(1, planned));
            int runs = 0;
            var outcomes = new List<RecipeOutcome>();
            for (int i = 0; i < recipes.Count; i++)
            {
                recipeTask.Description = Markup.Escape($"recipe {i + 1}/{recipes.Count}: {recipes[i].Name}");
                string name = recipes[i].Name;
                var env = ctx.Environment.WithLog(msg =>
                {
                    if (!GridRunLine.IsMatch(msg)) { ctx.Console.WriteLine($"  {name}: {msg}"); return; }
                    runs++;
                    if (runs > runTask.MaxValue) runTask.MaxValue = runs;
                    runTask.Value = runs;
                    runTask.Description = Markup.Escape($"grid runs {runs}/{Math.Max(planned, runs)} · {msg}");
                });
                outcomes.Add(RecipeRunner.Execute(recipes[i], root, scale, env));
                recipeTask.Increment(1);
            }
            recipeTask.Description = Markup.Escape($"recipes {recipes.Count}/{recipes.Count}");
            runTask.Value = runTask.MaxValue;
            return outcomes;
        });
    }

    private static void Summarize(CliContext ctx, IEnumerable<RecipeOutcome> outcomes)
    {
        var t = new Table().AddColumn("recipe").AddColumn("checks").AddColumn(new TableColumn("seconds").RightAligned()).AddColumn("status");
        foreach (var o in outcomes)
            t.AddRow(Markup.Escape(o.Name), CheckSummary(o.Checks), o.WallSeconds.ToString("F1"), Markup.Escape(o.Error ?? "ok"));
        ctx.Console.Write(t);
    }
}
