using System.CommandLine;
using HeavyTail.Analytic.IO;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>`heavytail data`: writes a generated problem as X.npy, y.npy (Y.npy for regression, weights.npy for population problems) and problem.json.</summary>
public static class DataCommand
{
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource(ctx.Err.WriteLine);
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var cmd = new Command("data", "Generate a problem and write X.npy, y.npy (and Y.npy, weights.npy) and problem.json.");
        src.AddTo(cmd);
        cmd.Options.Add(outDir);
        cmd.SetAction(r =>
        {
            if (r.GetValue(src.Problem) == null) throw new UserError("`data` needs --problem NAME.");
            using var claim = ctx.Claim(r.GetValue(outDir)!, "data");
            string dir = claim.Path;
            var p = src.Load(r);
            var d = p.Data;
            Npy.Write(Path.Combine(dir, "X.npy"), d.X, [d.N, d.D]);
            Npy.Write(Path.Combine(dir, "y.npy"), d.Labels);
            if (d.Targets != null || p.Loss == Analytic.Data.LossKind.Squared)
                Npy.Write(Path.Combine(dir, "Y.npy"), d.TargetsOrOneHot(), [d.N, d.C]);
            bool uniform = d.Weights.All(w => w == d.Weights[0]);
            if (!uniform) Npy.Write(Path.Combine(dir, "weights.npy"), d.Weights, [d.N]);
            var info = new Dictionary<string, object?>(RunJson.Of(p))
            {
                ["n"] = d.N, ["d"] = d.D, ["c"] = d.C, ["loss"] = p.Loss == Analytic.Data.LossKind.Squared ? "squared" : "cross-entropy",
                ["class_counts"] = d.ClassCounts,
                ["class_frequency"] = d.ClassMass,
                ["group_of_class"] = p.Groups.GroupOf,
                ["group_mass"] = p.Groups.Mass,
                ["sample_weights"] = uniform ? "uniform" : "weights.npy",
            };
            JsonOut.Write(Path.Combine(dir, "problem.json"), info);
            ctx.Out.WriteLine($"{p.Name}: n={d.N}, d={d.D}, c={d.C}, groups={p.Groups.K} → {dir}");
            return 0;
        });
        return cmd;
    }
}
