using System.CommandLine;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;
using HeavyTail.Experiments.Recipes.Plots;
using Spectre.Console;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail stats`: loss, gradient, Hessian diagonal, block traces, per-class and per-group statistics at W
/// (zeros unless --w), the HVP with --v; stats.json, grad.npy, hessian_diag.npy, hvp.npy with --out. Spectra from HVPs:
/// --top-eigenvalues K (block Lanczos), --trace-samples S (Hutchinson), --density (SLQ: density.csv, density.png) and
/// --block-spectra (λ_max and trace of every class block H_kk: block_top_eigenvalue.csv), all seeded by --spectrum-seed.
/// </summary>
public static class StatsCommand
{
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource(ctx.Err.WriteLine);
        var w = new Option<string?>("--w") { Description = "weights W.npy (d×c; zeros when omitted)" };
        var v = new Option<string?>("--v") { Description = "direction V.npy (d×c) for a Hessian-vector product" };
        var outDir = new Option<string?>("--out") { Description = "write stats.json, grad.npy, hessian_diag.npy (and hvp.npy) here" };
        var topK = new Option<int?>("--top-eigenvalues") { Description = "K: the K largest Hessian eigenvalues by block Lanczos (0 < K ≤ d·c) → top_eigenvalues" };
        var eigenTolerance = new Option<double>("--eigen-tolerance") { Description = "Lanczos stops when every Ritz residual ≤ this × λ_1 (bounds the eigenvalue errors)", DefaultValueFactory = _ => Lanczos.DefaultTolerance };
        var traceSamples = new Option<int?>("--trace-samples") { Description = "S ≥ 2: Hutchinson trace estimate and its standard error → trace_estimate, trace_standard_error" };
        var density = new Option<bool>("--density") { Description = "eigenvalue density by stochastic Lanczos quadrature → density.csv, density.png (needs --out)" };
        var densityRuns = new Option<int>("--density-runs") { Description = "SLQ: Lanczos runs (Rademacher starts) averaged", DefaultValueFactory = _ => HessianSpectra.DefaultDensityRuns };
        var lanczosSteps = new Option<int>("--lanczos-steps") { Description = "SLQ: Lanczos steps (HVPs) per run, ≤ d·c", DefaultValueFactory = _ => HessianSpectra.DefaultLanczosSteps };
        var densityWidth = new Option<double>("--density-width") { Description = "SLQ: Gaussian σ as a fraction of the span of the Ritz values", DefaultValueFactory = _ => SpectralDensity.DefaultRelativeWidth };
        var blockSpectra = new Option<bool>("--block-spectra") { Description = "λ_max and exact trace of every class block H_kk → block_top_eigenvalue.csv (needs --out)" };
        var spectrumSeed = new Option<long>("--spectrum-seed") { Description = "seed of the random starts of Lanczos, Hutchinson and SLQ", DefaultValueFactory = _ => 0 };
        var dtype = new DtypeOption();
        var cmd = new Command("stats", "Exact loss, gradient and Hessian statistics of the linear model at W; Hessian spectra from HVPs.");
        src.AddTo(cmd);
        cmd.Options.Add(w); cmd.Options.Add(v); cmd.Options.Add(outDir);
        foreach (Option o in new Option[] { topK, eigenTolerance, traceSamples, density, densityRuns, lanczosSteps, densityWidth, blockSpectra, spectrumSeed, dtype }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            using var claim = r.GetValue(outDir) is string outPath ? ctx.Claim(outPath, "stats") : null;
            var p = src.Load(r, ProblemFiles.ColumnsOf(r.GetValue(w), src.Waiting), ctx.Precision ?? Precision.Float64);
            var data = p.Data;
            long parameters = (long)data.D * data.C;
            int? k = r.GetValue(topK), samples = r.GetValue(traceSamples);
            bool wantDensity = r.GetValue(density), wantBlocks = r.GetValue(blockSpectra);
            int runs = r.GetValue(densityRuns), steps = r.GetValue(lanczosSteps);
            double width = r.GetValue(densityWidth);
            long seed = r.GetValue(spectrumSeed);
            string? od = r.GetValue(outDir);
            if (k is int kk && (kk < 1 || kk > parameters))
                throw new UserError($"--top-eigenvalues {kk} must satisfy 0 < K ≤ d·c = {parameters}.");
            double tolerance = r.GetValue(eigenTolerance);
            if (!(tolerance > 0 && tolerance < 1)) throw new UserError($"--eigen-tolerance {tolerance} must lie in (0, 1).");
            if (samples is int ss && ss < 2)
                throw new UserError($"--trace-samples {ss} must be at least 2 (a standard error needs two samples).");
            if (wantDensity)
            {
                if (runs < 1) throw new UserError($"--density-runs {runs} must be at least 1.");
                if (steps < 2) throw new UserError($"--lanczos-steps {steps} must be at least 2.");
                if (steps > parameters)
                    throw new UserError($"--density with --lanczos-steps {steps} needs d·c ≥ {steps}, but d·c = {parameters}: lower --lanczos-steps.");
                if (!(width > 0) || !double.IsFinite(width)) throw new UserError($"--density-width {width} must be a positive number.");
            }
            if ((wantDensity || wantBlocks) && od == null)
                throw new UserError($"{(wantDensity ? "--density" : "--block-spectra")} writes CSV files: give --out DIR.");
            var model = LinearModel.Create(p.Loss, data, ctx.Compute);
            var weights = ProblemFiles.LoadWeights(r.GetValue(w), data.D, data.C, data.HasBias, waiting: src.Waiting);
            var s = PerClassStatistics.Compute(model, weights);
            var diag = new double[data.D * data.C];
            model.Curvature(weights, diag, null);
            double[]? hv = null;
            if (r.GetValue(v) is string vPath)
            {
                var dir = ProblemFiles.LoadWeights(vPath, data.D, data.C, data.HasBias, "V", src.Waiting);
                hv = new double[dir.Length];
                model.HessianVectorProduct(weights, dir, hv);
            }
            var groupLoss = model.PerGroupLossFromSamples(PerSample(model, weights), p.Groups);
            var top = k is int kTop ? HessianSpectra.Top(model, weights, kTop, seed, tolerance, cancel: ctx.Cancel) : null;
            (double Estimate, double StandardError)? trace = samples is int sTrace ? HessianSpectra.Trace(model, weights, sTrace, seed, ctx.Cancel) : null;
            var rho = wantDensity ? HessianSpectra.Density(model, weights, runs, steps, seed, width, ctx.Cancel) : null;
            var blocks = wantBlocks ? HessianSpectra.Blocks(model, weights, seed, cancel: ctx.Cancel) : null;
            ctx.Cancel.ThrowIfCancellationRequested(); // nothing is written after an interrupt

            ctx.Out.WriteLine($"{p.Name}: n={data.N}, d={data.D}, c={data.C}, groups={p.Groups.K}, loss={p.Loss}, backend={ctx.Compute.Backend}, dtype={ctx.Compute.Precision.Name()}");
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
            if (top != null)
                for (int i = 0; i < top.Values.Length; i++) Row($"eigenvalue {i + 1}{(i == 0 ? $" ({top.MatVecs} HVPs{(top.Converged ? "" : ", NOT converged")})" : "")}", top.Values[i]);
            if (trace is var (est, se)) { Row("Hessian trace, Hutchinson", est); Row("  standard error", se); }
            if (rho != null) Row($"SLQ mean eigenvalue ({runs}×{steps} HVPs)", rho.Moment(1));
            if (blocks != null)
            {
                var h = GradientHeterogeneity.FromBlockNorms(blocks.TopEigenvalue);
                Row($"block λ_max: max/min ({blocks.Products} HVPs)", h.MaxMinRatio);
                Row("block λ_max: CV", h.CoefficientOfVariation);
                // blocks equal within the Lanczos tolerance (e.g. at W = 0, where every H_kk is the same matrix) have no ranking
                Row("Spearman(λ_max(H_kk), π_k)", h.MaxMinRatio - 1 <= 1e-8 ? double.NaN : Correlation.Spearman(blocks.TopEigenvalue, s.ClassFrequency));
            }
            ctx.Console.Write(table);

            if (od != null)
            {
                Directory.CreateDirectory(od);
                var json = new Dictionary<string, object?>
                {
                    ["n"] = data.N, ["d"] = data.D, ["c"] = data.C, ["bias"] = data.HasBias,
                    ["dtype"] = ctx.Compute.Precision.Name(), ["backend"] = ctx.Compute.Backend,
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
                };
                if (top != null)
                {
                    json["top_eigenvalues"] = top.Values;
                    json["top_eigenvalues_method"] = new Dictionary<string, object?>
                    {
                        ["method"] = "block Lanczos, full re-orthogonalisation", ["block_size"] = top.BlockSize, ["hvps"] = top.MatVecs,
                        ["residual_norms"] = top.ResidualNorms, ["tolerance"] = tolerance, ["converged"] = top.Converged, ["seed"] = seed,
                    };
                }
                if (trace is var (te, tse))
                {
                    json["trace_estimate"] = te; json["trace_standard_error"] = tse; json["trace_samples"] = samples; json["trace_seed"] = seed;
                }
                if (rho != null)
                {
                    json["density"] = new Dictionary<string, object?>
                    {
                        ["file"] = "density.csv", ["method"] = "stochastic Lanczos quadrature, Rademacher starts", ["runs"] = runs, ["lanczos_steps"] = steps,
                        ["hvps"] = rho.MatVecs, ["smoothing"] = "Gaussian", ["sigma"] = rho.Sigma, ["relative_width"] = width, ["seed"] = seed,
                        ["mean_eigenvalue"] = rho.Moment(1), ["exact_mean_eigenvalue"] = s.HessianTrace / parameters,
                    };
                    Csv.Write(Path.Combine(od, "density.csv"), ["eigenvalue", "density"], rho.Grid.Zip(rho.Density, (x, y) => (IReadOnlyList<double>)[x, y]));
                    var f = SpectrumPlots.DensityFigure($"{p.Name}: Hessian eigenvalue density (SLQ, {runs} runs × {steps} steps, σ = {rho.Sigma:G3})");
                    SpectrumPlots.AddDensity(f, rho, ScottPlot.Colors.Black, $"{runs}×{steps} HVPs");
                    f.Save(od, "density");
                }
                if (blocks != null)
                {
                    json["block_spectra"] = new Dictionary<string, object?>
                    {
                        ["file"] = "block_top_eigenvalue.csv", ["blocks"] = "class blocks H_kk (d×d)", ["hvps"] = blocks.Products,
                        ["converged"] = blocks.Converged, ["seed"] = seed,
                    };
                    Csv.Write(Path.Combine(od, "block_top_eigenvalue.csv"), ["class", "frequency", "block_top_eigenvalue", "block_trace"],
                        Enumerable.Range(0, data.C).Select(c => (IReadOnlyList<double>)[c, s.ClassFrequency[c], blocks.TopEigenvalue[c], blocks.Trace[c]]));
                }
                JsonOut.Write(Path.Combine(od, "stats.json"), json);
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
