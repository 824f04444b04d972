using System.CommandLine;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `grid merge DIR…` merges shards (the first folder is the output), runs the refinement and writes best.json, grid.csv
/// and grid.png; on a cluster the refinement runs sharded too: `grid refine --shard K/N --out R_K DIR…` trains shard K of
/// the runs the rule needs next, `grid merge DIR… R_0 … R_{N−1}` then writes the result; `grid merge --no-train` trains
/// nothing and lists the runs still needed.
/// </summary>
public static class GridShardCommands
{
    public static Command Merge(CliContext ctx)
    {
        var merge = new Command("merge", "Merge grid shards: DIR… (the first is the output); runs the refinement, writes best.json.");
        var dirs = new Argument<string[]>("dirs") { Arity = ArgumentArity.OneOrMore };
        var noTrain = new Option<bool>("--no-train") { Description = "train nothing: write best.json when every run the rule needs is there, else list the runs needed next (train them with `grid refine`)" };
        merge.Arguments.Add(dirs);
        merge.Options.Add(noTrain);
        merge.SetAction(r => RunMerge(ctx, r.GetValue(dirs)!, r.GetValue(noTrain)));
        return merge;
    }

    public static Command Refine(CliContext ctx)
    {
        var refine = new Command("refine", "Train shard K/N of the runs the grid needs next (after the coarse shards: the refinement) from the runs in DIR…, into --out; then `grid merge DIR… OUT…`.");
        var dirs = new Argument<string[]>("dirs") { Arity = ArgumentArity.OneOrMore, Description = "grid folders (coarse shards, or a merged grid) of one grid" };
        var shard = new Option<string>("--shard") { Description = "K/N: train only shard K of N (0-based) of the runs needed next", DefaultValueFactory = _ => "0/1" };
        var outDir = new Option<string?>("--out") { Description = "output folder of this shard (its own, one per shard)" };
        refine.Arguments.Add(dirs);
        refine.Options.Add(shard);
        refine.Options.Add(outDir);
        refine.SetAction(r => RunRefine(ctx, r.GetValue(dirs)!, r.GetValue(outDir) ?? throw new UserError("grid refine needs --out DIR (one folder per shard)."),
            GridArguments.Shard(r.GetValue(shard))!.Value));
        return refine;
    }

    private static int RunMerge(CliContext ctx, string[] dirs, bool noTrain)
    {
        var spec = GridSpec.FromJson(Path.Combine(dirs[0], "grid.json"));
        using var claim = ctx.Claim(dirs[0], "grid merge", "grid merge");
        ctx.Precision = spec.Precision; // the shards' runs are cached under their precision: merge in it
        ctx.InterruptNote = $"the runs that finished are kept in {Path.Combine(dirs[0], "_cache")}; rerun the same command to resume.";
        GridJob.MergeShards(dirs);
        if (noTrain)
        {
            var (complete, needed) = GridJob.Needed(spec, dirs[0], ctx.Environment);
            if (complete == null)
            {
                ctx.Out.WriteLine($"{needed.Count} run(s) needed next, not trained (--no-train); best.json not written:");
                foreach (var line in GridJob.Describe(needed)) ctx.Out.WriteLine("  " + line);
                ctx.Out.WriteLine($"train them with `heavytail grid refine --shard K/N --out R_K {string.Join(' ', dirs)}`, then `heavytail grid merge {string.Join(' ', dirs)} R_0 … R_{{N−1}}`.");
                return 0;
            }
            ctx.Out.WriteLine(GridFiles.Write(complete, dirs[0], ctx.Compute.Precision, spec.Data));
            return 0;
        }
        var result = GridCommand.Run(ctx, spec, dirs[0], ctx.Environment)!;
        ctx.Out.WriteLine(GridFiles.Write(result, dirs[0], ctx.Compute.Precision, spec.Data));
        return 0;
    }

    private static int RunRefine(CliContext ctx, string[] dirs, string outDir, (int K, int N) shard)
    {
        GridSpec.FromJson(Path.Combine(dirs[0], "grid.json")); // a missing or corrupt grid.json is refused before --out is claimed
        using var claim = ctx.Claim(outDir, "grid refine");
        string dir = claim.Path;
        ctx.InterruptNote = $"the runs that finished are kept in {Path.Combine(dir, "_cache")}; rerun the same command to resume.";
        var plan = GridJob.Refine(dirs, dir, shard, ctx.Environment);
        if (plan.Complete != null)
        {
            ctx.Out.WriteLine($"refine shard {shard.K}/{shard.N}: nothing to train, the grid has every run it needs → merge with `heavytail grid merge DIR…`");
            return 0;
        }
        ctx.Out.WriteLine($"refine shard {shard.K}/{shard.N}: trained {plan.Mine.Count} of the {plan.Needed.Count} run(s) needed next → {dir}; merge with `heavytail grid merge DIR… {dir} …`");
        foreach (var line in GridJob.Describe(plan.Mine)) ctx.Out.WriteLine("  " + line);
        return 0;
    }
}
