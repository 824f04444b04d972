using System.CommandLine;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;
using Spectre.Console;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail study`: your own data (--x X.npy --y y.npy, or --problem NAME) → the paper's Figure 2: each optimizer's grid
/// with the stability rule, the selected runs per frequency group, figure2.png, overall.png, study.json and report.md
/// (<see cref="Study.Run"/>). Cached and resumable; --dry-run prices it.
/// </summary>
public static class StudyCommand
{
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource(ctx.Err.WriteLine);
        var optimizers = new Option<string>("--optimizers") { Description = $"comma-separated optimizers, each tuned by the grid rule (of: {string.Join(", ", OptimizerCatalog.Names)})", DefaultValueFactory = _ => "gd,adam" };
        var steps = new Option<int>("--steps") { Description = "updates T of every run", DefaultValueFactory = _ => 100 };
        var seeds = new Option<int>("--seeds") { Description = "data seeds 0..S−1 of a generated problem (the worst final loss over seeds counts); your arrays are one data set", DefaultValueFactory = _ => 1 };
        var outDir = new Option<string?>("--out") { Description = "output folder: figure2.png, overall.png, report.md, study.json, OPTIMIZER/best.json …" };
        var dryRun = new Option<bool>("--dry-run") { Description = "list the runs it would train, their FLOPs and the estimated time here; trains and writes nothing" };
        var dtype = new DtypeOption();
        var path = TrainingPathOption.Create();
        var cmd = new Command("study", "Your own data → the paper's Figure 2: each optimizer's grid (stability rule), per-group losses, figure2.png and report.md.");
        src.AddTo(cmd);
        foreach (Option o in new Option[] { optimizers, steps, seeds, outDir, dryRun, dtype, path }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var names = Names(r.GetValue(optimizers)!);
            int t = r.GetValue(steps), s = r.GetValue(seeds);
            if (t < 1) throw new UserError($"--steps {t} must be at least 1.");
            if (s < 1) throw new UserError($"--seeds {s} must be at least 1.");
            if (r.GetValue(dryRun)) return DryRun(ctx, r, src, names, t, s);
            using var claim = ctx.Claim(r.GetValue(outDir) ?? throw new UserError("study needs --out DIR."), "study");
            ctx.InterruptNote = $"the runs that finished are kept in {Path.Combine(claim.Path, "_cache")}; rerun the same command to resume.";
            var request = Request(ctx, r, src, names, t, s);
            var env = ctx.Environment.WithPath(TrainingPaths.Parse(r.GetValue(path)!));
            var progress = ctx.Quiet ? null : new GridProgress((msg, _) => ctx.Err.WriteLine("  " + msg));
            var result = Study.Run(request, claim.Path, env, progress, ctx.Quiet ? null : ctx.Err.WriteLine);
            Print(ctx, result, claim.Path);
            return 0;
        });
        return cmd;
    }

    private static string[] Names(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
        if (names.Length == 0) throw new UserError("--optimizers is empty; name at least one, e.g. --optimizers gd,adam.");
        foreach (var n in names) OptimizerCatalog.Get(n); // an unknown name: one line with the names
        return names;
    }

    private static StudyRequest Request(CliContext ctx, ParseResult r, ProblemSource src, string[] names, int steps, int seeds)
    {
        string? problem = r.GetValue(src.Problem);
        var templates = names.Select(n => new OptimizerSettings(n, 1.0)).ToList();
        long[] seedList = Enumerable.Range(0, seeds).Select(i => (long)i).ToArray();
        int every = Math.Max(1, steps / 100);
        if (problem == null)
        {
            if (seeds != 1) throw new UserError($"--seeds {seeds}: with --x/--y the data is fixed and every seed would train the same runs; leave out --seeds.");
            var loaded = src.Load(r, precision: ctx.Precision ?? Precision.Float64);
            var data = src.ArraysOf(r, loaded);
            var spec = new GridSpec(new ProblemOptions { Name = "arrays" }, templates[0], steps, every, [0], null) { Data = data, Precision = ctx.Compute.Precision };
            return new StudyRequest(spec, templates, loaded);
        }
        if (r.GetResult(src.Groups) is { Implicit: false } || r.GetValue(src.Bias))
            throw new UserError("--groups and --bias apply to your own --x/--y data in study; a generated problem keeps its own groups and features.");
        if (r.GetResult(src.Seed) is { Implicit: false })
            throw new UserError("--seed does nothing for study: its data seeds are --seeds N (seeds 0..N−1); leave out --seed.");
        var po = src.GeneratorOptions(r, problem) with { Seed = 0 };
        MemoryCheck.Check(po, ctx.Precision ?? Precision.Float64);
        var grid = new GridSpec(po, templates[0], steps, every, seedList, null) { Precision = ctx.Compute.Precision };
        return new StudyRequest(grid, templates, ctx.Environment.Problems.Get(po).Problem);
    }

    private static int DryRun(CliContext ctx, ParseResult r, ProblemSource src, string[] names, int steps, int seeds)
    {
        var p = src.Load(r, precision: ctx.Precision ?? Precision.Float64);
        var sizes = ((long)p.Data.N, (long)p.Data.D, (long)p.Data.C);
        int dataSeeds = r.GetValue(src.Problem) == null ? 1 : seeds;
        var rates = PlanRates.LoadOrMeasure(ctx.Compute, cancel: ctx.Cancel);
        var rows = names.Select(o => (Name: o, Estimate: ReproduceEstimate.Runs(o, sizes, p.Data.IdentityInputs, grid: true, ReproducePlan.GridStepSizes, dataSeeds, steps,
            observed: false, rates, MemoryCheck.AvailableBytes()))).ToList();
        foreach (var (name, (path, seconds, flops)) in rows)
            ctx.Out.WriteLine($"{name}: {ReproducePlan.GridStepSizes} step sizes × {dataSeeds} seed(s) × {steps} steps on the {path} path: {flops:G3} FLOP, ≈ {TimeSpan.FromSeconds(seconds):g}");
        ctx.Out.WriteLine($"study of {string.Join(", ", names)} on {p.Name} (n = {sizes.Item1}, d = {sizes.Item2}, c = {sizes.Item3}): {rows.Count * ReproducePlan.GridStepSizes * dataSeeds} runs × {steps} steps " +
                          $"(the stability ladder may add a few), ≈ {TimeSpan.FromSeconds(rows.Sum(x => x.Estimate.Seconds)):g} here ({rates.Backend}, {rates.Precision.Name()}, rates of {rates.Source}); nothing trained or written.");
        return 0;
    }

    private static void Print(CliContext ctx, StudyResult result, string dir)
    {
        var t = new Table().AddColumn("optimizer").AddColumn(new TableColumn("selected η").RightAligned()).AddColumn(new TableColumn("final loss").RightAligned())
            .AddColumn(new TableColumn("rarest group L_T/L_0").RightAligned());
        foreach (var run in result.Runs)
            t.AddRow(Markup.Escape(run.Optimizer), JsonOut.Number(run.Grid.SelectedLr), run.Selected.FinalLoss.ToString("G4"), run.RarestFraction.ToString("G3"));
        ctx.Console.Write(t);
        foreach (var check in result.Checks) ctx.Out.WriteLine($"{(check.Pass ? "pass" : "FAIL")}  {check.Name}: {check.Predicted}; measured {check.Measured}");
        ctx.Out.WriteLine(result.Reading);
        ctx.Out.WriteLine($"wrote {Path.Combine(dir, "figure2.png")}, overall.png, report.md, study.json");
    }
}
