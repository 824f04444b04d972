using System.CommandLine;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Runs;
using Spectre.Console;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail grid`: the paper's step-size grid for one optimizer (<see cref="GridJob.Run"/>), every run cached atomically
/// under DIR/_cache (a killed grid resumes); `--shard K/N` runs one shard of the coarse grid; `grid merge` and `grid refine`
/// (<see cref="GridShardCommands"/>) merge shards and train the refinement.
/// </summary>
public static class GridCommand
{
    private sealed class Options
    {
        public readonly ProblemSource Src;
        public readonly OptimizerOptions Opt = new();
        public readonly Option<int> Seeds = new("--seeds") { Description = "number of data seeds (0..S−1); the worst final loss over seeds counts", DefaultValueFactory = _ => 1 };
        public readonly Option<string?> Lrs = new("--lrs") { Description = "explicit comma-separated step sizes instead of the paper's grid" };
        public readonly Option<string?> Shard = new("--shard") { Description = "K/N: run only shard K of N (0-based) of the coarse grid" };
        public readonly Option<int> LogEvery = new("--log-every") { DefaultValueFactory = _ => 0, Description = "log every N steps (default: steps/100)" };
        public readonly Option<string?> Out = new("--out") { Description = "output folder" };
        public readonly Option<string> Stability = new("--stability") { Description = "on: after the lowest final loss, take the largest step size at or below it whose runs are stable (Appendix A.4); off: the final-loss rule alone", DefaultValueFactory = _ => "on" };
        public readonly Option<double> MaxLossFactor = new("--max-loss-factor") { Description = "unstable when the loss ever exceeds this × its initial value", DefaultValueFactory = _ => StabilityCriterion.Default.MaxLossFactor };
        public readonly Option<double> MaxRise = new("--max-rise") { Description = "unstable when the total rise Σ max(0, L_{t+1} − L_t) exceeds this fraction of the total decrease", DefaultValueFactory = _ => StabilityCriterion.Default.MaxRiseFraction };
        public readonly DtypeOption Dtype = new();
        public readonly Option<string> Path = TrainingPathOption.Create();
        public Options(CliContext ctx) => Src = new ProblemSource(ctx.Err.WriteLine);
        public Option[] Own => [Seeds, Lrs, Shard, LogEvery, Out, Stability, MaxLossFactor, MaxRise, Dtype, Path];
    }

    public static Command Create(CliContext ctx)
    {
        var o = new Options(ctx);
        var cmd = new Command("grid", "Step-size grid of the paper's Appendix A.4 for one optimizer (resumable, shardable).");
        o.Src.AddTo(cmd); o.Opt.AddTo(cmd, withLr: false);
        foreach (var option in o.Own) cmd.Options.Add(option);
        cmd.Subcommands.Add(GridShardCommands.Merge(ctx));
        cmd.Subcommands.Add(GridShardCommands.Refine(ctx));
        cmd.SetAction(r =>
        {
            o.Opt.RefuseUnread(r);
            using var claim = ctx.Claim(r.GetValue(o.Out) ?? throw new UserError("grid needs --out DIR."), "grid");
            string dir = claim.Path;
            ctx.InterruptNote = $"the runs that finished are kept in {System.IO.Path.Combine(dir, "_cache")}; rerun the same command to resume.";
            var (spec, loaded) = Spec(r, o, ctx);
            JsonOut.Write(System.IO.Path.Combine(dir, "grid.json"), spec.ToJson());
            var shard = GridArguments.Shard(r.GetValue(o.Shard));
            var env = ctx.Environment.WithPath(TrainingPaths.Parse(r.GetValue(o.Path)!));
            var result = Run(ctx, spec, dir, env, shard, loaded);
            ctx.Out.WriteLine(result == null
                ? $"shard {shard!.Value.K}/{shard.Value.N} done → {dir}; merge with `heavytail grid merge DIR…`"
                : GridFiles.Write(result, dir, ctx.Compute.Precision, spec.Data));
            return 0;
        });
        return cmd;
    }

    /// <summary>The grid the options describe (and the user's arrays, read once, when they are the data).</summary>
    private static (GridSpec Spec, Problem? Loaded) Spec(ParseResult r, Options o, CliContext ctx)
    {
        string? name = r.GetValue(o.Src.Problem);
        bool arrays = r.GetValue(o.Src.X) != null || r.GetValue(o.Src.Y) != null;
        if (name == null && !arrays)
            throw new UserError("grid needs --problem NAME (generated; the data is rebuilt from its seed in every shard) or your arrays --x X.npy --y y.npy.");
        int steps = r.GetValue(o.Opt.Steps), s = r.GetValue(o.Seeds);
        if (s < 1) throw new UserError($"--seeds {s} must be at least 1.");
        var (po, data, loaded) = arrays && name == null ? Arrays(r, o, s) : (Generated(r, o, ctx, name!, arrays), null, null);
        int every = r.GetValue(o.LogEvery) is int e && e > 0 ? e : Math.Max(1, steps / 100);
        var criterion = r.GetValue(o.Stability) switch
        {
            "on" => new StabilityCriterion(r.GetValue(o.MaxLossFactor), r.GetValue(o.MaxRise)).Validated(),
            "off" => null,
            var v => throw new UserError($"--stability '{v}' must be on or off."),
        };
        var spec = new GridSpec(po, o.Opt.Settings(r, lr: 1.0), steps, every, Enumerable.Range(0, s).Select(i => (long)i).ToArray(), GridArguments.Lrs(ctx, r.GetValue(o.Lrs)))
        { Stability = criterion, Data = data, Precision = ctx.Compute.Precision };
        return (spec, loaded);
    }

    /// <summary>The user's arrays are one data set and training from W = 0 is deterministic: there are no data seeds.</summary>
    private static (ProblemOptions, GridData, Problem) Arrays(ParseResult r, Options o, int seeds)
    {
        if (seeds != 1) throw new UserError($"--seeds {seeds}: with --x/--y the data is fixed and every seed would train the same runs; leave out --seeds.");
        var loaded = o.Src.Load(r);
        return (new ProblemOptions { Name = "arrays" }, o.Src.ArraysOf(r, loaded), loaded);
    }

    private static ProblemOptions Generated(ParseResult r, Options o, CliContext ctx, string name, bool arrays)
    {
        if (arrays) o.Src.Load(r); // --problem with --x/--y: the shared one-line refusal
        if (r.GetResult(o.Src.Seed) is { Implicit: false })
            throw new UserError("--seed does nothing for grid: its data seeds are --seeds N (seeds 0..N−1); leave out --seed.");
        var po = o.Src.GeneratorOptions(r, name) with { Seed = 0 }; // the data seeds are the grid's --seeds
        MemoryCheck.Check(po, ctx.Precision ?? Precision.Float64);
        ctx.Environment.Problems.Get(po); // validates the options before any run starts; the data is kept for seed 0's runs
        return po;
    }

    /// <summary>
    /// <see cref="GridJob.Run"/> with progress: on an interactive terminal a live display (runs done of those planned, the
    /// run in training and its step, ETA); otherwise one line per finished run on stderr; nothing with --quiet.
    /// </summary>
    public static GridResult? Run(CliContext ctx, GridSpec spec, string dir, RunEnvironment env, (int K, int N)? shard = null, Problem? loaded = null,
        Func<IRunSpec, bool>? mayTrain = null)
    {
        if (!ProgressDisplay.IsLive(ctx))
            return GridJob.Run(spec, dir, env, shard, loaded, mayTrain, ctx.Quiet ? null : new GridProgress((msg, _) => ctx.Err.WriteLine("  " + msg)));
        return ProgressDisplay.Live(ctx, p =>
        {
            var task = p.AddTask(Markup.Escape(spec.Optimizer.Name), maxValue: Math.Max(1, GridJob.PlannedRuns(spec, shard)));
            int evaluated = 0;
            void Show(int done, string what)
            {
                if (done > task.MaxValue) task.MaxValue = done;
                task.Description = Markup.Escape($"{spec.Optimizer.Name}: {done}/{(int)task.MaxValue} runs · {what}");
            }
            var progress = new GridProgress(
                (msg, trained) => { evaluated++; int done = Math.Max(evaluated, trained); Show(done, msg); task.Value = done; },
                (runs, step, steps, trained) =>
                {
                    int done = Math.Max(evaluated, trained);
                    if (done + runs > task.MaxValue) task.MaxValue = done + runs;   // the stability ladder's runs beyond the plan
                    task.Value = Math.Min(task.MaxValue, done + runs * (double)step / steps);
                    Show(done, $"training {runs} run{(runs == 1 ? "" : "s")}, step {step}/{steps}");
                });
            var result = GridJob.Run(spec, dir, env, shard, loaded, mayTrain, progress);
            task.Value = task.MaxValue;
            return result;
        });
    }
}
