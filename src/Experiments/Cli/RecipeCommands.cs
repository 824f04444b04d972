using HeavyTail.Experiments.Torch;
using System.CommandLine;
using HeavyTail.Experiments.Recipes;
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
            foreach (var r in Reproduction.Everything)
                t.AddRow(Markup.Escape(r.Name), Markup.Escape(r is TorchRecipe ? $"[torch] {r.Description}" : r.Description));
            ctx.Console.Write(t);
            return 0;
        });
        return cmd;
    }

    private static Option<string> ScaleOption() => new("--scale") { Description = "small (minutes on 2 cores), paper (the paper's sizes) or tiny (a smoke test in seconds)", DefaultValueFactory = _ => "small" };
    private static Option<string> OutOption() => new("--out") { Description = "output folder", DefaultValueFactory = _ => "runs" };

    public static Command Run(CliContext ctx)
    {
        var name = new Argument<string>("name") { Description = "recipe name (see `heavytail list`)" };
        var scale = ScaleOption(); var outDir = OutOption();
        var cmd = new Command("run", "Run one experiment: figures (PNG, SVG), CSVs and run.json in DIR/NAME/.");
        var classes = new Option<int?>("--classes") { Description = $"rates recipe: class count c of the one-hot model (default 20; 100 at --scale paper; 2 ≤ c ≤ {RatesRecipe.MaxClasses})" };
        var zipf = new Option<double?>("--zipf-exponent") { Description = "rates recipe: Zipf exponent a, π_k ∝ (k+1)^(−a) (default 1)" };
        cmd.Arguments.Add(name); cmd.Options.Add(scale); cmd.Options.Add(outDir); cmd.Options.Add(new DtypeOption()); cmd.Options.Add(classes); cmd.Options.Add(zipf);
        cmd.SetAction(r =>
        {
            var recipe = RatesRecipe.Configure(Reproduction.Find(r.GetValue(name)!), r.GetValue(classes), r.GetValue(zipf));
            if (recipe is TorchRecipe tr && tr.Unavailable() is { } why) throw new UserError(why);
            var sc = Scales.Parse(r.GetValue(scale)!);
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
            var sc = Scales.Parse(r.GetValue(scale)!);
            if (r.GetValue(dryRun)) return ReproduceDryRun.Run(ctx, sc, r.GetValue(shards));
            if (r.GetResult(shards) is { Implicit: false })
                throw new UserError("--shards only sizes the sharded estimate of --dry-run; add --dry-run, or leave out --shards (a reproduce runs every recipe here).");
            using var claim = ctx.Claim(r.GetValue(outDir)!, "reproduce");
            string dir = claim.Path;
            ctx.InterruptNote = $"the recipes' training runs that finished are kept in {Path.Combine(dir, "_cache")}; rerun the same command to resume.";
            var (recipes, skipped) = Reproduction.Select(r.GetValue(withTorch));
            var result = ProgressDisplay.IsLive(ctx) ? ReproduceLive(ctx, recipes, skipped, dir, sc)
                : ProgressDisplay.Run(ctx, "reproduce", recipes.Count, report => Reproduction.Run(recipes, skipped, dir, sc, recipe => Environment(ctx, recipe), (i, _) => report(i + 1)));
            Summarize(ctx, result.Outcomes);
            ctx.Out.WriteLine($"report: {Path.Combine(dir, "report.md")} and report.html ({result.WallSeconds:F1} s)");
            return result.AllFinished ? 0 : 1;
        });
        return cmd;
    }

    /// <summary>Runs one recipe with this command's environment (its progress lines on stderr unless --quiet).</summary>
    public static RecipeOutcome Execute(CliContext ctx, IRecipe recipe, string root, Scale scale) => RecipeRunner.Execute(recipe, root, scale, Environment(ctx, recipe));

    /// <summary>The command's environment for one recipe: announced on stdout, its progress lines on stderr (nothing with --quiet).</summary>
    private static RunEnvironment Environment(CliContext ctx, IRecipe recipe)
    {
        if (!ctx.Quiet) ctx.Out.WriteLine($"[{recipe.Name}] {recipe.Description}");
        return ctx.Environment.WithLog(ctx.Quiet ? null : msg => ctx.Err.WriteLine($"  {recipe.Name}: {msg}"));
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
    private static ReproduceResult ReproduceLive(CliContext ctx, IReadOnlyList<IRecipe> recipes, IReadOnlyList<string> skipped, string root, Scale scale)
    {
        int planned = ReproducePlan.For(scale).Where(r => r.What == "grid").Sum(r => r.Runs);
        return ProgressDisplay.Live(ctx, p =>
        {
            var recipeTask = p.AddTask("recipes", maxValue: recipes.Count);
            var runTask = p.AddTask("grid runs", maxValue: Math.Max(1, planned));
            int runs = 0, started = 0;
            RunEnvironment EnvironmentFor(IRecipe recipe)
            {
                recipeTask.Description = Markup.Escape($"recipe {++started}/{recipes.Count}: {recipe.Name}");
                return ctx.Environment.WithLog(msg =>
                {
                    if (!GridRunLine.IsMatch(msg)) { ctx.Console.WriteLine($"  {recipe.Name}: {msg}"); return; }
                    runs++;
                    if (runs > runTask.MaxValue) runTask.MaxValue = runs;
                    runTask.Value = runs;
                    runTask.Description = Markup.Escape($"grid runs {runs}/{Math.Max(planned, runs)} · {msg}");
                });
            }
            var result = Reproduction.Run(recipes, skipped, root, scale, EnvironmentFor, (_, _) => recipeTask.Increment(1));
            recipeTask.Description = Markup.Escape($"recipes {recipes.Count}/{recipes.Count}");
            runTask.Value = runTask.MaxValue;
            return result;
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
