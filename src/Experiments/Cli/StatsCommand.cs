using System.CommandLine;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;
using Spectre.Console;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail stats`: loss, gradient, Hessian diagonal, block traces, per-class and per-group statistics at W
/// (zeros unless --w), the HVP with --v; stats.json, grad.npy, hessian_diag.npy, hvp.npy with --out.
/// </summary>
public static class StatsCommand
{
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource();
        var w = new Option<string?>("--w") { Description = "weights W.npy (d×c; zeros when omitted)" };
        var v = new Option<string?>("--v") { Description = "direction V.npy (d×c) for a Hessian-vector product" };
        var outDir = new Option<string?>("--out") { Description = "write stats.json, grad.npy, hessian_diag.npy (and hvp.npy) here" };
        var cmd = new Command("stats", "Exact loss, gradient and Hessian statistics of the linear model at W.");
        src.AddTo(cmd);
        cmd.Options.Add(w); cmd.Options.Add(v); cmd.Options.Add(outDir);
        cmd.SetAction(r =>
        {
            using var claim = r.GetValue(outDir) is string outPath ? ctx.Claim(outPath, "stats") : null;
            var p = src.Load(r, ProblemFiles.ColumnsOf(r.GetValue(w)));
            var data = p.Data;
            var model = LinearModel.Create(p.Loss, data, ctx.Compute);
            var weights = ProblemFiles.LoadWeights(r.GetValue(w), data.D, data.C, data.HasBias);
            var s = PerClassStatistics.Compute(model, weights);
            var diag = new double[data.D * data.C];
            model.Curvature(weights, diag, null);
            double[]? hv = null;
            if (r.GetValue(v) is string vPath)
            {
                var dir = ProblemFiles.LoadWeights(vPath, data.D, data.C, data.HasBias, "V");
                hv = new double[dir.Length];
                model.HessianVectorProduct(weights, dir, hv);
            }
            var groupLoss = model.PerGroupLossFromSamples(PerSample(model, weights), p.Groups);

            ctx.Out.WriteLine($"{p.Name}: n={data.N}, d={data.D}, c={data.C}, groups={p.Groups.K}, loss={p.Loss}, backend={ctx.Compute.Backend}");
            var table = new Table().AddColumn("quantity").AddColumn(new TableColumn("value").RightAligned());
            void Row(string k, double val) => table.AddRow(k, JsonOut.Number(val));
            Row("loss", s.Loss);
            Row("log(c)", Math.Log(data.C));
            Row("gradient norm", s.GradientNorm);
            Row("Hessian trace", s.HessianTrace);
            Row("heterogeneity max/min", s.Heterogeneity.MaxMinRatio);
            Row("heterogeneity CV", s.Heterogeneity.CoefficientOfVariation);
            Row("Spearman(‖G_k‖, π_k)", s.SpearmanGradFrequency);
            Row("Spearman(tr H_kk, π_k)", s.SpearmanTraceFrequency);
            for (int g = 0; g < groupLoss.Length; g++) Row($"group {g} loss", groupLoss[g]);
            ctx.Console.Write(table);

            if (r.GetValue(outDir) is string od)
            {
                JsonOut.Write(Path.Combine(od, "stats.json"), new Dictionary<string, object?>
                {
                    ["n"] = data.N, ["d"] = data.D, ["c"] = data.C, ["bias"] = data.HasBias,
                    ["loss"] = s.Loss,
                    ["gradient_norm"] = s.GradientNorm,
                    ["per_class_loss"] = s.PerClassLoss,
                    ["per_class_grad_norm"] = s.PerClassGradNorm,
                    ["per_class_hessian_trace"] = s.PerClassHessianTrace,
                    ["per_class_weight_norm"] = s.PerClassWeightNorm,
                    ["class_frequency"] = s.ClassFrequency,
                    ["hessian_trace"] = s.HessianTrace,
                    ["per_group_loss"] = groupLoss,
                    ["group_of_class"] = p.Groups.GroupOf,
                    ["heterogeneity"] = new Dictionary<string, object?>
                    {
                        ["blocks"] = "class columns W[:, k]",
                        ["max_min_ratio"] = s.Heterogeneity.MaxMinRatio,
                        ["coefficient_of_variation"] = s.Heterogeneity.CoefficientOfVariation,
                    },
                    ["correlation_with_frequency"] = new Dictionary<string, object?>
                    {
                        ["pearson_grad_norm"] = s.PearsonGradFrequency, ["spearman_grad_norm"] = s.SpearmanGradFrequency,
                        ["pearson_hessian_trace"] = s.PearsonTraceFrequency, ["spearman_hessian_trace"] = s.SpearmanTraceFrequency,
                    },
                    ["settings"] = RunJson.Of(p),
                });
                Npy.Write(Path.Combine(od, "grad.npy"), s.Gradient, [data.D, data.C]);
                Npy.Write(Path.Combine(od, "hessian_diag.npy"), diag, [data.D, data.C]);
                if (hv != null) Npy.Write(Path.Combine(od, "hvp.npy"), hv, [data.D, data.C]);
                ctx.Out.WriteLine($"wrote {Path.Combine(od, "stats.json")}");
            }
            return 0;
        });
        return cmd;
    }

    private static double[] PerSample(LinearModel m, double[] w)
    {
        var l = new double[m.N];
        m.PerSampleLoss(w, l);
        return l;
    }
}
