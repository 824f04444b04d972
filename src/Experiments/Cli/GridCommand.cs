using System.CommandLine;
using System.Text.Json;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Plots;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail grid`: the paper's step-size grid for one optimizer, every run cached atomically under DIR/_cache
/// (a killed grid resumes); `--shard K/N` runs one shard of the coarse grid; `heavytail grid merge DIR…` merges
/// shards, runs the refinement and writes best.json, grid.csv and a loss-vs-step-size plot.
/// </summary>
public static class GridCommand
{
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource();
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
        var cmd = new Command("grid", "Step-size grid of the paper's Appendix A.4 for one optimizer (resumable, shardable).");
        src.AddTo(cmd); opt.AddTo(cmd, withLr: false);
        foreach (Option o in new Option[] { seeds, lrs, shard, logEvery, outDir, stability, maxLossFactor, maxRise, dtype }) cmd.Options.Add(o);
        var merge = new Command("merge", "Merge grid shards: DIR… (the first is the output); runs the refinement, writes best.json.");
        var dirs = new Argument<string[]>("dirs") { Arity = ArgumentArity.OneOrMore };
        merge.Arguments.Add(dirs);
        merge.SetAction(r => Merge(ctx, r.GetValue(dirs)!));
        cmd.Subcommands.Add(merge);
        cmd.SetAction(r =>
        {
            using var claim = ctx.Claim(r.GetValue(outDir) ?? throw new UserError("grid needs --out DIR."), "grid");
            string dir = claim.Path;
            ctx.InterruptNote = $"the runs that finished are kept in {Path.Combine(dir, "_cache")}; rerun the same command to resume.";
            string? name = r.GetValue(src.Problem) ?? throw new UserError("grid needs --problem NAME (generated problems; the data is rebuilt from its seed in every shard).");
            var po = src.GeneratorOptions(r, name) with { Seed = 0 }; // the data seeds are the grid's --seeds
            MemoryCheck.Check(po, ctx.Precision ?? Precision.Float64);
            ctx.Environment.Problems.Get(po); // validates the options before any run starts; the data is kept for seed 0's runs
            var settings = opt.Settings(r, lr: 1.0);
            int steps = r.GetValue(opt.Steps), s = r.GetValue(seeds);
            if (s < 1) throw new UserError($"--seeds {s} must be at least 1.");
            int every = r.GetValue(logEvery) is int e && e > 0 ? e : Math.Max(1, steps / 100);
            var lrList = ParseLrs(r.GetValue(lrs));
            var criterion = r.GetValue(stability) switch
            {
                "on" => new StabilityCriterion(r.GetValue(maxLossFactor), r.GetValue(maxRise)).Validated(),
                "off" => null,
                var v => throw new UserError($"--stability '{v}' must be on or off."),
            };
            var spec = new GridSpec(po, settings, steps, every, Enumerable.Range(0, s).Select(i => (long)i).ToArray(), lrList) { Stability = criterion, Precision = ctx.Compute.Precision };
            JsonOut.Write(Path.Combine(dir, "grid.json"), spec.ToJson());
            var sh = ParseShard(r.GetValue(shard));
            var result = RunSpecGrid(ctx, spec, dir, sh);
            if (result == null) { ctx.Out.WriteLine($"shard {sh!.Value.K}/{sh.Value.N} done → {dir}; merge with `heavytail grid merge DIR…`"); return 0; }
            WriteResult(ctx, result, dir);
            return 0;
        });
        return cmd;
    }

    public sealed record GridSpec(ProblemOptions Problem, OptimizerSettings Optimizer, int Steps, int LogEvery, long[] Seeds, double[]? Lrs)
    {
        /// <summary>The stability rule's criterion; null: the final-loss rule alone (--stability off).</summary>
        public StabilityCriterion? Stability { get; init; } = StabilityCriterion.Default;

        /// <summary>The precision the grid's runs compute in (grid.json's "dtype"; float64 for grids written before it).</summary>
        public Precision Precision { get; init; } = Precision.Float64;

        public Dictionary<string, object?> ToJson() => new()
        {
            ["stability"] = Stability?.ToJson(),
            ["problem"] = Problem.Name, ["m"] = Problem.M, ["samples"] = Problem.Samples, ["classes"] = Problem.Classes, ["dim"] = Problem.Dimension,
            ["zipf_exponent"] = Problem.ZipfExponent, ["k"] = Problem.K, ["inputs"] = Problem.Inputs,
            ["optimizer"] = Optimizer.Name, ["momentum"] = Optimizer.Momentum, ["beta1"] = Optimizer.Beta1, ["beta2"] = Optimizer.Beta2, ["eps"] = Optimizer.Eps,
            ["steps"] = Steps, ["log_every"] = LogEvery, ["seeds"] = Seeds, ["lrs"] = Lrs, ["dtype"] = Precision.Name(),
        };

        public static GridSpec FromJson(string path)
        {
            if (!File.Exists(path)) throw new UserError($"{path} not found: not a grid folder (run `heavytail grid … --out DIR` first).");
            JsonElement e;
            try { e = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
            catch (JsonException) { throw new UserError($"{path} is corrupt (not JSON); rerun the grid shard."); }
            int? I(string k) => e.GetProperty(k).ValueKind == JsonValueKind.Null ? null : e.GetProperty(k).GetInt32();
            var po = new ProblemOptions
            {
                Name = e.GetProperty("problem").GetString()!, M = e.GetProperty("m").GetInt32(), Samples = I("samples"), Classes = I("classes"), Dimension = I("dim"),
                ZipfExponent = e.GetProperty("zipf_exponent").GetDouble(), K = e.GetProperty("k").GetInt32(), Inputs = e.GetProperty("inputs").GetString()!,
            };
            var os = new OptimizerSettings(e.GetProperty("optimizer").GetString()!, 1.0)
            {
                Momentum = e.GetProperty("momentum").GetDouble(), Beta1 = e.GetProperty("beta1").GetDouble(), Beta2 = e.GetProperty("beta2").GetDouble(),
                Eps = e.GetProperty("eps").ValueKind == JsonValueKind.Null ? null : e.GetProperty("eps").GetDouble(),
            };
            var lrs = e.GetProperty("lrs").ValueKind == JsonValueKind.Null ? null : e.GetProperty("lrs").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            // grids written before the stability rule have no "stability" entry: they selected by the final loss alone
            StabilityCriterion? stability = e.TryGetProperty("stability", out var st) && st.ValueKind == JsonValueKind.Object
                ? new StabilityCriterion(st.GetProperty("max_loss_factor").GetDouble(), st.GetProperty("max_rise_fraction").GetDouble())
                : null;
            var precision = e.TryGetProperty("dtype", out var dt) && dt.ValueKind == JsonValueKind.String
                ? PrecisionNames.Parse(dt.GetString()!, $"{path}: dtype") : Precision.Float64;
            return new GridSpec(po, os, e.GetProperty("steps").GetInt32(), e.GetProperty("log_every").GetInt32(),
                e.GetProperty("seeds").EnumerateArray().Select(x => x.GetInt64()).ToArray(), lrs) { Stability = stability, Precision = precision };
        }
    }

    public static GridResult? RunSpecGrid(CliContext ctx, GridSpec spec, string dir, (int K, int N)? shard) =>
        GridSearch.Run(new RunCache(Path.Combine(dir, "_cache"), ctx.Environment), spec.Problem, spec.Optimizer, spec.Steps, spec.LogEvery, spec.Seeds, shard, spec.Lrs,
            ctx.Quiet ? null : msg => ctx.Err.WriteLine("  " + msg), spec.Stability, stabilityOff: spec.Stability == null);

    private static int Merge(CliContext ctx, string[] dirs)
    {
        var spec = GridSpec.FromJson(Path.Combine(dirs[0], "grid.json"));
        using var claim = ctx.Claim(dirs[0], "grid merge", "grid merge");
        ctx.Precision = spec.Precision; // the shards' runs are cached under their precision: merge in it
        ctx.InterruptNote = $"the runs that finished are kept in {Path.Combine(dirs[0], "_cache")}; rerun the same command to resume.";
        string canonical = JsonOut.Serialize(spec.ToJson());
        var target = OutputFolder.Prepare(Path.Combine(dirs[0], "_cache"), "grid merge");
        foreach (var d in dirs.Skip(1))
        {
            var other = GridSpec.FromJson(Path.Combine(d, "grid.json"));
            if (JsonOut.Serialize(other.ToJson()) != canonical) throw new UserError($"{d} holds a different grid than {dirs[0]} (problem, optimizer, steps or seeds differ).");
            var cache = Path.Combine(d, "_cache");
            if (!Directory.Exists(cache)) continue;
            foreach (var f in Directory.GetFiles(cache).Where(f => f.EndsWith(".csv") || f.EndsWith(".json")).OrderBy(f => f.EndsWith(".json") ? 1 : 0))
            {
                var dest = Path.Combine(target, Path.GetFileName(f));
                if (!File.Exists(dest)) Analytic.IO.AtomicFile.Write(dest, tmp => File.Copy(f, tmp, true));
            }
        }
        var result = RunSpecGrid(ctx, spec, dirs[0], null)!;
        WriteResult(ctx, result, dirs[0]);
        return 0;
    }

    public static void WriteResult(CliContext ctx, GridResult result, string dir)
    {
        Csv.Write(Path.Combine(dir, "grid.csv"), ["lr", "worst_final_loss", "diverged", "stable"],
            result.Points.Select(p => (IReadOnlyList<double>)[p.Lr, p.WorstScore, p.AnyDiverged ? 1 : 0, p.IsStable(result.Stability) ? 1 : 0]));
        JsonOut.Write(Path.Combine(dir, "best.json"), new Dictionary<string, object?>
        {
            ["optimizer"] = result.Optimizer, ["dtype"] = ctx.Compute.Precision.Name(), ["best_lr"] = result.BestLr, ["best_worst_final_loss"] = result.Best.WorstScore,
            ["selected_lr"] = result.SelectedLr, ["selected_worst_final_loss"] = result.Selected.WorstScore,
            ["unstable_lrs"] = result.UnstableLrs, ["stability"] = result.Stability?.ToJson() ?? (object)"off",
            ["no_stable_step_size"] = result.NoStableStepSize,
            ["at_edge"] = result.AtEdge, ["edge_note"] = result.AtEdge ? "the selected step size lies at the edge of [1e-6, 1e1]; the comparison may measure the step budget rather than the optimizer" : null,
            ["points"] = result.Points.Select(p => new Dictionary<string, object?> { ["lr"] = p.Lr, ["worst_final_loss"] = p.WorstScore, ["diverged"] = p.AnyDiverged }).ToList(),
        });
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

    private static double[]? ParseLrs(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
            double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v)
                ? v : throw new UserError($"--lrs: '{s}' is not a positive step size.")).ToArray();
    }

    private static (int K, int N)? ParseShard(string? text)
    {
        if (text == null) return null;
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int k) && int.TryParse(parts[1], out int n) && n >= 1 && k >= 0 && k < n) return (k, n);
        throw new UserError($"--shard '{text}' must be K/N with 0 ≤ K < N, e.g. 0/4.");
    }
}
