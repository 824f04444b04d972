using System.CommandLine;
using System.Text.Json;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;
using Spectre.Console;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail grid`: the paper's step-size grid for one optimizer, every run cached atomically under DIR/_cache
/// (a killed grid resumes); `--shard K/N` runs one shard of the coarse grid; `heavytail grid merge DIR…` merges
/// shards, runs the refinement and writes best.json, grid.csv and a loss-vs-step-size plot. On a cluster the refinement
/// runs sharded too: `grid refine --shard K/N --out R_K DIR…` trains shard K of the runs the rule needs next (the
/// half-powers around the coarse best), `grid merge DIR… R_0 … R_{N−1}` then writes the result; `grid merge --no-train`
/// trains nothing and lists the runs still needed.
/// </summary>
public static class GridCommand
{
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource(ctx.Err.WriteLine);
        var opt = new OptimizerOptions();
        var seeds = new Option<int>("--seeds") { Description = "number of data seeds (0..S−1); the worst final loss over seeds counts", DefaultValueFactory = _ => 1 };
        var lrs = new Option<string?>("--lrs") { Description = "explicit comma-separated step sizes instead of the paper's grid" };
        var shard = new Option<string?>("--shard") { Description = "K/N: run only shard K of N (0-based) of the coarse grid" };
        var logEvery = new Option<int>("--log-every") { DefaultValueFactory = _ => 0, Description = "log every N steps (default: steps/100)" };
        var outDir = new Option<string?>("--out") { Description = "output folder" };
        var stability = new Option<string>("--stability") { Description = "on: after the lowest final loss, take the largest step size at or below it whose runs are stable (Appendix A.4); off: the final-loss rule alone", DefaultValueFactory = _ => "on" };
        var maxLossFactor = new Option<double>("--max-loss-factor") { Description = "unstable when the loss ever exceeds this × its initial value", DefaultValueFactory = _ => StabilityCriterion.Default.MaxLossFactor };
        var dtype = new DtypeOption();
        var maxRise = new Option<double>("--max-rise") { Description = "unstable when the total rise Σ max(0, L_{t+1} − L_t) exceeds this fraction of the total decrease", DefaultValueFactory = _ => StabilityCriterion.Default.MaxRiseFraction };
        var pathOption = TrainingPathOption.Create();
        var cmd = new Command("grid", "Step-size grid of the paper's Appendix A.4 for one optimizer (resumable, shardable).");
        src.AddTo(cmd); opt.AddTo(cmd, withLr: false);
        foreach (Option o in new Option[] { seeds, lrs, shard, logEvery, outDir, stability, maxLossFactor, maxRise, dtype, pathOption }) cmd.Options.Add(o);
        var merge = new Command("merge", "Merge grid shards: DIR… (the first is the output); runs the refinement, writes best.json.");
        var dirs = new Argument<string[]>("dirs") { Arity = ArgumentArity.OneOrMore };
        var noTrain = new Option<bool>("--no-train") { Description = "train nothing: write best.json when every run the rule needs is there, else list the runs needed next (train them with `grid refine`)" };
        merge.Arguments.Add(dirs);
        merge.Options.Add(noTrain);
        merge.SetAction(r => Merge(ctx, r.GetValue(dirs)!, r.GetValue(noTrain)));
        cmd.Subcommands.Add(merge);
        var refine = new Command("refine", "Train shard K/N of the runs the grid needs next (after the coarse shards: the refinement) from the runs in DIR…, into --out; then `grid merge DIR… OUT…`.");
        var refineDirs = new Argument<string[]>("dirs") { Arity = ArgumentArity.OneOrMore, Description = "grid folders (coarse shards, or a merged grid) of one grid" };
        var refineShard = new Option<string>("--shard") { Description = "K/N: train only shard K of N (0-based) of the runs needed next", DefaultValueFactory = _ => "0/1" };
        var refineOut = new Option<string?>("--out") { Description = "output folder of this shard (its own, one per shard)" };
        refine.Arguments.Add(refineDirs);
        refine.Options.Add(refineShard);
        refine.Options.Add(refineOut);
        refine.SetAction(r => Refine(ctx, r.GetValue(refineDirs)!, r.GetValue(refineOut) ?? throw new UserError("grid refine needs --out DIR (one folder per shard)."),
            ParseShard(r.GetValue(refineShard))!.Value));
        cmd.Subcommands.Add(refine);
        cmd.SetAction(r =>
        {
            opt.RefuseUnread(r);
            using var claim = ctx.Claim(r.GetValue(outDir) ?? throw new UserError("grid needs --out DIR."), "grid");
            string dir = claim.Path;
            ctx.InterruptNote = $"the runs that finished are kept in {Path.Combine(dir, "_cache")}; rerun the same command to resume.";
            string? name = r.GetValue(src.Problem);
            bool arrays = r.GetValue(src.X) != null || r.GetValue(src.Y) != null;
            if (name == null && !arrays)
                throw new UserError("grid needs --problem NAME (generated; the data is rebuilt from its seed in every shard) or your arrays --x X.npy --y y.npy.");
            int steps = r.GetValue(opt.Steps), s = r.GetValue(seeds);
            if (s < 1) throw new UserError($"--seeds {s} must be at least 1.");
            ProblemOptions po;
            GridData? data = null;
            Problem? loaded = null;
            if (arrays && name == null)
            {
                // the user's arrays are one data set and training from W = 0 is deterministic: there are no data seeds
                if (s != 1) throw new UserError($"--seeds {s}: with --x/--y the data is fixed and every seed would train the same runs; leave out --seeds.");
                loaded = src.Load(r);
                string Full(string? path) => path == null ? null! : Path.GetFullPath(path);
                data = new GridData(Full(r.GetValue(src.X)), Full(r.GetValue(src.Y)), r.GetValue(src.Targets) is { } t ? Full(t) : null,
                    r.GetValue(src.LossOption)!, r.GetValue(src.Bias), r.GetValue(src.Groups), (string)loaded.Info[ProblemFiles.DataHashKey]);
                po = new ProblemOptions { Name = "arrays" };
            }
            else
            {
                if (arrays) src.Load(r); // --problem with --x/--y: the shared one-line refusal
                if (r.GetResult(src.Seed) is { Implicit: false })
                    throw new UserError("--seed does nothing for grid: its data seeds are --seeds N (seeds 0..N−1); leave out --seed.");
                po = src.GeneratorOptions(r, name!) with { Seed = 0 }; // the data seeds are the grid's --seeds
                MemoryCheck.Check(po, ctx.Precision ?? Precision.Float64);
                ctx.Environment.Problems.Get(po); // validates the options before any run starts; the data is kept for seed 0's runs
            }
            var settings = opt.Settings(r, lr: 1.0);
            int every = r.GetValue(logEvery) is int e && e > 0 ? e : Math.Max(1, steps / 100);
            var lrList = ParseLrs(r.GetValue(lrs));
            if (lrList != null && lrList.Distinct().Count() < lrList.Length)
            {
                var twice = lrList.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => JsonOut.Number(g.Key));
                ctx.Err.WriteLine($"note: --lrs repeats {string.Join(", ", twice)}; each step size is trained once.");
                lrList = lrList.Distinct().ToArray();
            }
            var criterion = r.GetValue(stability) switch
            {
                "on" => new StabilityCriterion(r.GetValue(maxLossFactor), r.GetValue(maxRise)).Validated(),
                "off" => null,
                var v => throw new UserError($"--stability '{v}' must be on or off."),
            };
            var spec = new GridSpec(po, settings, steps, every, Enumerable.Range(0, s).Select(i => (long)i).ToArray(), lrList) { Stability = criterion, Data = data, Precision = ctx.Compute.Precision };
            JsonOut.Write(Path.Combine(dir, "grid.json"), spec.ToJson());
            var sh = ParseShard(r.GetValue(shard));
            var result = RunSpecGrid(ctx, spec, dir, sh, loaded, path: TrainingPaths.Parse(r.GetValue(pathOption)!));
            if (result == null) { ctx.Out.WriteLine($"shard {sh!.Value.K}/{sh.Value.N} done → {dir}; merge with `heavytail grid merge DIR…`"); return 0; }
            WriteResult(ctx, result, dir, data);
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// The user's arrays a grid runs on: their paths (absolute), how they are read (loss, --bias, --groups) and their
    /// content hash (<see cref="ProblemFiles.ContentSha256"/>), which keys the runs and must agree across shards.
    /// </summary>
    public sealed record GridData(string X, string Y, string? Targets, string Loss, bool Bias, int? Groups, string Sha256)
    {
        /// <summary>The arrays read again (merge), refused in one line when their content no longer has <see cref="Sha256"/>.</summary>
        public Problem Load()
        {
            var loaded = ProblemFiles.LoadArrays(X, Y, Targets, Loss, null);
            var problem = ProblemSource.WithBiasAndGroups(loaded, new Dictionary<string, object>(loaded.Info), Bias, Groups);
            var now = (string)problem.Info[ProblemFiles.DataHashKey];
            if (now != Sha256)
                throw new UserError($"{X} and {Y} changed since the grid ran (data_sha256 {now}, grid.json says {Sha256}); rerun the shards on the current data or restore the files.");
            return problem;
        }
    }

    public sealed record GridSpec(ProblemOptions Problem, OptimizerSettings Optimizer, int Steps, int LogEvery, long[] Seeds, double[]? Lrs)
    {
        /// <summary>The stability rule's criterion; null: the final-loss rule alone (--stability off).</summary>
        public StabilityCriterion? Stability { get; init; } = StabilityCriterion.Default;

        /// <summary>The precision the grid's runs compute in (grid.json's "dtype"; float64 for grids written before it).</summary>
        public Precision Precision { get; init; } = Precision.Float64;

        /// <summary>The user's arrays (--x/--y), or null for a generated problem (<see cref="Problem"/>).</summary>
        public GridData? Data { get; init; }

        /// <summary>grid.json; <paramref name="withPaths"/> false leaves out the arrays' paths (shards on other machines see other paths).</summary>
        public Dictionary<string, object?> ToJson(bool withPaths = true)
        {
            var json = new Dictionary<string, object?> { ["stability"] = Stability?.ToJson() };
            if (Data is { } g)
            {
                json["problem"] = "arrays";
                if (withPaths) { json["x"] = g.X; json["y"] = g.Y; json["targets"] = g.Targets; }
                json["loss"] = g.Loss; json["bias"] = g.Bias; json["groups"] = g.Groups; json[ProblemFiles.DataHashKey] = g.Sha256;
            }
            else
            {
                json["problem"] = Problem.Name; json["m"] = Problem.M; json["samples"] = Problem.Samples; json["classes"] = Problem.Classes; json["dim"] = Problem.Dimension;
                json["zipf_exponent"] = Problem.ZipfExponent; json["k"] = Problem.K; json["inputs"] = Problem.Inputs;
            }
            json["optimizer"] = Optimizer.Name; json["momentum"] = Optimizer.Momentum; json["beta1"] = Optimizer.Beta1; json["beta2"] = Optimizer.Beta2; json["eps"] = Optimizer.Eps;
            var uses = Optimizer.Descriptor.Uses;
            if (uses.HasFlag(HyperParameters.Nesterov)) json["nesterov"] = Optimizer.Nesterov;
            if (uses.HasFlag(HyperParameters.WeightDecay)) json["weight_decay"] = Optimizer.WeightDecay;
            json["steps"] = Steps; json["log_every"] = LogEvery; json["seeds"] = Seeds; json["lrs"] = Lrs; json["dtype"] = Precision.Name();
            return json;
        }

        public static GridSpec FromJson(string path)
        {
            if (!File.Exists(path)) throw new UserError($"{path} not found: not a grid folder (run `heavytail grid … --out DIR` first).");
            JsonElement e;
            try { e = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
            catch (JsonException) { throw new UserError($"{path} is corrupt (not JSON); rerun the grid shard."); }
            int? I(string k) => e.GetProperty(k).ValueKind == JsonValueKind.Null ? null : e.GetProperty(k).GetInt32();
            string? S(string k) => e.GetProperty(k).ValueKind == JsonValueKind.Null ? null : e.GetProperty(k).GetString();
            GridData? data = null;
            ProblemOptions po;
            if (e.GetProperty("problem").GetString() == "arrays")
            {
                data = new GridData(S("x")!, S("y")!, S("targets"), S("loss")!, e.GetProperty("bias").GetBoolean(), I("groups"), S(ProblemFiles.DataHashKey)!);
                po = new ProblemOptions { Name = "arrays" };
            }
            else po = new ProblemOptions
            {
                Name = e.GetProperty("problem").GetString()!, M = e.GetProperty("m").GetInt32(), Samples = I("samples"), Classes = I("classes"), Dimension = I("dim"),
                ZipfExponent = e.GetProperty("zipf_exponent").GetDouble(), K = e.GetProperty("k").GetInt32(), Inputs = e.GetProperty("inputs").GetString()!,
            };
            var os = new OptimizerSettings(e.GetProperty("optimizer").GetString()!, 1.0)
            {
                Momentum = e.GetProperty("momentum").GetDouble(), Beta1 = e.GetProperty("beta1").GetDouble(), Beta2 = e.GetProperty("beta2").GetDouble(),
                Eps = e.GetProperty("eps").ValueKind == JsonValueKind.Null ? null : e.GetProperty("eps").GetDouble(),
                Nesterov = !e.TryGetProperty("nesterov", out var nv) || nv.ValueKind != JsonValueKind.False,
                WeightDecay = e.TryGetProperty("weight_decay", out var wd) && wd.ValueKind == JsonValueKind.Number ? wd.GetDouble() : 0,
            };
            var lrs = e.GetProperty("lrs").ValueKind == JsonValueKind.Null ? null : e.GetProperty("lrs").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            // grids written before the stability rule have no "stability" entry: they selected by the final loss alone
            StabilityCriterion? stability = e.TryGetProperty("stability", out var st) && st.ValueKind == JsonValueKind.Object
                ? new StabilityCriterion(st.GetProperty("max_loss_factor").GetDouble(), st.GetProperty("max_rise_fraction").GetDouble())
                : null;
            var precision = e.TryGetProperty("dtype", out var dt) && dt.ValueKind == JsonValueKind.String
                ? PrecisionNames.Parse(dt.GetString()!, $"{path}: dtype") : Precision.Float64;
            return new GridSpec(po, os, e.GetProperty("steps").GetInt32(), e.GetProperty("log_every").GetInt32(),
                e.GetProperty("seeds").EnumerateArray().Select(x => x.GetInt64()).ToArray(), lrs) { Stability = stability, Data = data, Precision = precision };
        }
    }

    /// <param name="loaded">the user's arrays when already read (else read from <see cref="GridSpec.Data"/>).</param>
    /// <param name="mayTrain">the missing runs this call may train (null: all; see <see cref="RunCache.MayTrain"/>).</param>
    /// <remarks>
    /// Progress: on an interactive terminal a live display (runs done of those planned, the run in training and its step,
    /// ETA); otherwise one line per finished run on stderr; nothing with --quiet.
    /// </remarks>
    /// <param name="path">primal, Gram or auto for the runs trained now; not part of grid.json (shards on different paths merge: same numbers up to rounding).</param>
    public static GridResult? RunSpecGrid(CliContext ctx, GridSpec spec, string dir, (int K, int N)? shard, Problem? loaded = null, Func<IRunSpec, bool>? mayTrain = null,
        TrainingPath path = TrainingPath.Auto)
    {
        var env = ctx.Environment.WithPath(path);
        string cacheDir = Path.Combine(dir, "_cache");
        Problem? problem = spec.Data is { } d ? loaded ?? d.Load() : null;
        GridResult? Grid(RunCache cache, Action<string>? progress)
        {
            if (spec.Data is not { } data)
                return GridSearch.Run(cache, spec.Problem, spec.Optimizer, spec.Steps, spec.LogEvery, spec.Seeds, shard, spec.Lrs,
                    progress, spec.Stability, stabilityOff: spec.Stability == null);
            var model = LinearModel.Create(problem!.Loss, problem.Data, ctx.Compute);
            return GridSearch.RunArrays(cache, problem, model, data.Sha256, spec.Optimizer, spec.Steps, spec.LogEvery, shard, spec.Lrs,
                progress, spec.Stability, stabilityOff: spec.Stability == null);
        }
        if (!ProgressDisplay.IsLive(ctx))
            return Grid(new RunCache(cacheDir, env) { MayTrain = mayTrain }, ctx.Quiet ? null : msg => ctx.Err.WriteLine("  " + msg));
        // planned: the coarse step sizes and the 2 half-powers per seed (a shard: its share of the coarse runs); the stability ladder adds to it
        int coarse = (spec.Lrs?.Length ?? GridSearch.Coarse().Length) * spec.Seeds.Length;
        int planned = shard is (int k, int n) ? Enumerable.Range(0, coarse).Count(i => i % n == k) : coarse + (spec.Lrs == null ? 2 * spec.Seeds.Length : 0);
        return ProgressDisplay.Live(ctx, p =>
        {
            var task = p.AddTask(Markup.Escape(spec.Optimizer.Name), maxValue: Math.Max(1, planned));
            int evaluated = 0;
            RunCache? cache = null;
            int Done() => Math.Max(evaluated, cache!.Trained);
            void Show(string what)
            {
                if (Done() > task.MaxValue) task.MaxValue = Done();
                task.Description = Markup.Escape($"{spec.Optimizer.Name}: {Done()}/{(int)task.MaxValue} runs · {what}");
            }
            cache = new RunCache(cacheDir, env)
            {
                MayTrain = mayTrain,
                StepProgress = (runs, step, steps) =>
                {
                    if (Done() + runs > task.MaxValue) task.MaxValue = Done() + runs;   // the stability ladder's runs beyond the plan
                    task.Value = Math.Min(task.MaxValue, Done() + runs * (double)step / steps);
                    Show($"training {runs} run{(runs == 1 ? "" : "s")}, step {step}/{steps}");
                },
            };
            var result = Grid(cache, msg => { evaluated++; Show(msg); task.Value = Done(); });
            task.Value = task.MaxValue;
            return result;
        });
    }

    private static int Merge(CliContext ctx, string[] dirs, bool noTrain)
    {
        var spec = GridSpec.FromJson(Path.Combine(dirs[0], "grid.json"));
        using var claim = ctx.Claim(dirs[0], "grid merge", "grid merge");
        ctx.Precision = spec.Precision; // the shards' runs are cached under their precision: merge in it
        ctx.InterruptNote = $"the runs that finished are kept in {Path.Combine(dirs[0], "_cache")}; rerun the same command to resume.";
        string canonical = JsonOut.Serialize(spec.ToJson(withPaths: false));
        var others = dirs.Skip(1).Select(d => (Dir: d, Spec: GridSpec.FromJson(Path.Combine(d, "grid.json")))).ToList();
        // every shard must have seen the same arrays: checked before anything is copied
        foreach (var (d, other) in others)
            if (other.Data?.Sha256 != spec.Data?.Sha256)
                throw new UserError($"{d} ran on other data than {dirs[0]} (data_sha256 {other.Data?.Sha256 ?? "none: a generated problem"} vs {spec.Data?.Sha256 ?? "none: a generated problem"}); rerun every shard on the same --x/--y.");
        var target = OutputFolder.Prepare(Path.Combine(dirs[0], "_cache"), "grid merge");
        foreach (var (d, other) in others)
        {
            if (JsonOut.Serialize(other.ToJson(withPaths: false)) != canonical) throw new UserError($"{d} holds a different grid than {dirs[0]} (problem, optimizer, steps or seeds differ).");
            CopyRuns(Path.Combine(d, "_cache"), target);
        }
        if (noTrain)
        {
            var (complete, needed) = Needed(ctx, spec, dirs[0]);
            if (complete == null)
            {
                ctx.Out.WriteLine($"{needed.Count} run(s) needed next, not trained (--no-train); best.json not written:");
                foreach (var line in Describe(needed)) ctx.Out.WriteLine("  " + line);
                ctx.Out.WriteLine($"train them with `heavytail grid refine --shard K/N --out R_K {string.Join(' ', dirs)}`, then `heavytail grid merge {string.Join(' ', dirs)} R_0 … R_{{N−1}}`.");
                return 0;
            }
            WriteResult(ctx, complete, dirs[0], spec.Data);
            return 0;
        }
        var result = RunSpecGrid(ctx, spec, dirs[0], null)!;
        WriteResult(ctx, result, dirs[0], spec.Data);
        return 0;
    }

    /// <summary>
    /// `grid refine`: copies the runs of <paramref name="dirs"/> into OUT/_cache, lists the runs the grid rule needs next
    /// (<see cref="Needed"/>: after the coarse grid, the half-powers around its best, every seed; after those, the stability
    /// ladder's next step size) and trains shard K of them: the K-th of N contiguous blocks of that list, which is ordered
    /// seed by seed, so N = the seed count trains each seed's step sizes together, batched as an unsharded grid does.
    /// </summary>
    private static int Refine(CliContext ctx, string[] dirs, string outDir, (int K, int N) shard)
    {
        var spec = GridSpec.FromJson(Path.Combine(dirs[0], "grid.json"));
        string canonical = JsonOut.Serialize(spec.ToJson(withPaths: false));
        foreach (var d in dirs.Skip(1))
            if (JsonOut.Serialize(GridSpec.FromJson(Path.Combine(d, "grid.json")).ToJson(withPaths: false)) != canonical)
                throw new UserError($"{d} holds a different grid than {dirs[0]} (problem, optimizer, steps or seeds differ).");
        using var claim = ctx.Claim(outDir, "grid refine");
        string dir = claim.Path, own = Path.Combine(dir, "grid.json");
        if (File.Exists(own) && JsonOut.Serialize(GridSpec.FromJson(own).ToJson(withPaths: false)) != canonical)
            throw new UserError($"--out {dir} holds a different grid than {dirs[0]}; choose another --out.");
        ctx.InterruptNote = $"the runs that finished are kept in {Path.Combine(dir, "_cache")}; rerun the same command to resume.";
        JsonOut.Write(own, spec.ToJson());
        var target = OutputFolder.Prepare(Path.Combine(dir, "_cache"));
        foreach (var d in dirs.Where(d => Path.GetFullPath(d) != Path.GetFullPath(dir)))
            CopyRuns(Path.Combine(d, "_cache"), target);
        var (complete, needed) = Needed(ctx, spec, dir);
        if (complete != null)
        {
            ctx.Out.WriteLine($"refine shard {shard.K}/{shard.N}: nothing to train, the grid has every run it needs → merge with `heavytail grid merge DIR…`");
            return 0;
        }
        int from = (int)((long)shard.K * needed.Count / shard.N), to = (int)((long)(shard.K + 1) * needed.Count / shard.N);
        var mine = needed.Skip(from).Take(to - from).Select(s => s.Key()).ToHashSet();
        if (mine.Count > 0)
            try { RunSpecGrid(ctx, spec, dir, null, mayTrain: s => mine.Contains(s.Key())); }
            catch (RunsNotTrainedException) { } // the other shards' runs
        ctx.Out.WriteLine($"refine shard {shard.K}/{shard.N}: trained {mine.Count} of the {needed.Count} run(s) needed next → {dir}; merge with `heavytail grid merge DIR… {dir} …`");
        foreach (var line in Describe(needed.Skip(from).Take(to - from).ToList())) ctx.Out.WriteLine("  " + line);
        return 0;
    }

    /// <summary>The grid's result when DIR/_cache holds every run the rule needs, else the runs it needs next; trains nothing.</summary>
    private static (GridResult? Complete, IReadOnlyList<IRunSpec> Needed) Needed(CliContext ctx, GridSpec spec, string dir)
    {
        try { return (RunSpecGrid(ctx, spec, dir, null, mayTrain: _ => false), []); }
        catch (RunsNotTrainedException e) { return (null, e.Specs); }
    }

    /// <summary>One line per step size: η and the data seeds of its runs.</summary>
    private static IEnumerable<string> Describe(IReadOnlyList<IRunSpec> specs) =>
        specs.GroupBy(s => s.Optimizer.Lr).OrderBy(g => g.Key).Select(g =>
            $"η = {JsonOut.Number(g.Key)}: seed(s) {string.Join(", ", g.Select(s => s is RunSpec r ? r.Problem.Seed.ToString() : "–"))}");

    /// <summary>Copies finished runs (CSVs first, the status JSON last, each atomically) that <paramref name="target"/> lacks.</summary>
    private static void CopyRuns(string cache, string target)
    {
        if (!Directory.Exists(cache)) return;
        foreach (var f in Directory.GetFiles(cache).Where(f => f.EndsWith(".csv") || f.EndsWith(".json")).OrderBy(f => f.EndsWith(".json") ? 1 : 0))
        {
            var dest = Path.Combine(target, Path.GetFileName(f));
            if (!File.Exists(dest)) Analytic.IO.AtomicFile.Write(dest, tmp => File.Copy(f, tmp, true));
        }
    }

    /// <param name="data">the user's arrays the grid ran on (their content hash goes into best.json), or null.</param>
    public static void WriteResult(CliContext ctx, GridResult result, string dir, GridData? data = null)
    {
        Csv.Write(Path.Combine(dir, "grid.csv"), ["lr", "worst_final_loss", "diverged", "stable"],
            result.Points.Select(p => (IReadOnlyList<double>)[p.Lr, p.WorstScore, p.AnyDiverged ? 1 : 0, p.IsStable(result.Stability) ? 1 : 0]));
        var best = new Dictionary<string, object?>
        {
            ["optimizer"] = result.Optimizer, ["dtype"] = ctx.Compute.Precision.Name(), ["best_lr"] = result.BestLr, ["best_worst_final_loss"] = result.Best.WorstScore,
            ["selected_lr"] = result.SelectedLr, ["selected_worst_final_loss"] = result.Selected.WorstScore,
            ["unstable_lrs"] = result.UnstableLrs, ["stability"] = result.Stability?.ToJson() ?? (object)"off",
            ["no_stable_step_size"] = result.NoStableStepSize,
            ["at_edge"] = result.AtEdge, ["edge_note"] = result.AtEdge ? "the selected step size lies at the edge of [1e-6, 1e1]; the comparison may measure the step budget rather than the optimizer" : null,
            ["path"] = PathOf(result.Points.SelectMany(p => p.Runs)),
            ["points"] = result.Points.Select(p => new Dictionary<string, object?> { ["lr"] = p.Lr, ["worst_final_loss"] = p.WorstScore, ["diverged"] = p.AnyDiverged, ["path"] = PathOf(p.Runs) }).ToList(),
        };
        if (data != null) { best["data"] = "arrays"; best[ProblemFiles.DataHashKey] = data.Sha256; }
        JsonOut.Write(Path.Combine(dir, "best.json"), best);
        var f = new Figure($"{result.Optimizer}: final loss vs step size", "step size η", "worst final training loss over seeds", logX: true, logY: true);
        f.Line(result.Points.Select(p => p.Lr).ToArray(), result.Points.Select(p => p.WorstScore).ToArray(), Figure.OptimizerColor(result.Optimizer), result.Optimizer, markers: true);
        var unstable = result.Points.Where(p => !p.IsStable(result.Stability)).ToList();
        if (unstable.Count > 0) f.Line(unstable.Select(p => p.Lr).ToArray(), unstable.Select(p => p.WorstScore).ToArray(), ScottPlot.Colors.Orange, "unstable", markers: true);
        if (result.SelectedLr != result.BestLr)
            f.Line([result.BestLr], [result.Best.WorstScore], ScottPlot.Colors.Gray, $"lowest final loss η = {result.BestLr:G3}", markers: true);
        f.Line([result.SelectedLr], [result.Selected.WorstScore], ScottPlot.Colors.Red, $"selected η = {result.SelectedLr:G3}", markers: true);
        f.Save(dir, "grid");
        string rule = result.Stability == null ? "" : result.SelectedLr == result.BestLr ? " (stable)" : $" (lowest final loss at η = {JsonOut.Number(result.BestLr)} is unstable)";
        ctx.Out.WriteLine($"{result.Optimizer}: selected η = {JsonOut.Number(result.SelectedLr)}{rule} (worst final loss {JsonOut.Number(result.Selected.WorstScore)}){(result.AtEdge ? " — lowest final loss at the edge of the grid" : "")} → {Path.Combine(dir, "best.json")}");
    }

    /// <summary>The path the runs were trained on: "primal" or "gram", "mixed" when they differ (e.g. resumed with another --path), "unrecorded" for older cache entries.</summary>
    private static string PathOf(IEnumerable<RunRecord> runs)
    {
        var paths = runs.Select(r => r.Path ?? "unrecorded").Distinct().ToList();
        return paths.Count == 1 ? paths[0] : "mixed";
    }

    private static double[]? ParseLrs(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
            Numbers.TryParseDouble(s, out var v) && v > 0 && double.IsFinite(v)
                ? v : throw new UserError($"--lrs: '{s}' is not a positive step size.")).ToArray();
    }

    private static (int K, int N)? ParseShard(string? text)
    {
        if (text == null) return null;
        var parts = text.Split('/');
        if (parts.Length == 2 && Numbers.TryParseInt(parts[0], out int k) && Numbers.TryParseInt(parts[1], out int n) && n >= 1 && k >= 0 && k < n) return (k, n);
        throw new UserError($"--shard '{text}' must be K/N with 0 ≤ K < N, e.g. 0/4.");
    }
}
