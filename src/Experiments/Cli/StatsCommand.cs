using System.CommandLine;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Statistics;
using HeavyTail.Experiments.Recipes;
using Spectre.Console;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail stats`: parses the options into a <see cref="StatsRequest"/>, calls <see cref="ModelStatistics.Compute"/>,
/// prints its table and, with --out, writes its files (<see cref="StatsFiles.Write"/>).
/// </summary>
public static class StatsCommand
{
    private sealed class Options
    {
        public readonly Option<string?> W = new("--w") { Description = "weights W.npy (d×c; zeros when omitted; `train --out D` writes D/W.npy)" };
        public readonly Option<string?> V = new("--v") { Description = "direction V.npy (d×c) for a Hessian-vector product" };
        public readonly Option<string?> Out = new("--out") { Description = "write stats.json, grad.npy, hessian_diag.npy (and hvp.npy) here" };
        public readonly Option<int?> TopK = new("--top-eigenvalues") { Description = "K: the K largest Hessian eigenvalues by block Lanczos (0 < K ≤ d·c) → top_eigenvalues" };
        public readonly Option<double> Tolerance = new("--eigen-tolerance") { Description = "Lanczos stops when every Ritz residual ≤ this × λ₁ (bounds the eigenvalue errors); residuals are reported relative to λ₁", DefaultValueFactory = _ => Lanczos.DefaultTolerance };
        public readonly Option<int?> MaxHvps = new("--max-hvps") { Description = "HVP budget of --top-eigenvalues, and the Lanczos step cap per class block of --block-spectra (default min(d·c, max(100, 10K)))" };
        public readonly Option<int?> TraceSamples = new("--trace-samples") { Description = "S ≥ 2: Hutchinson trace estimate and its standard error → trace_estimate, trace_standard_error" };
        public readonly Option<bool> Density = new("--density") { Description = "eigenvalue density by stochastic Lanczos quadrature → density.csv, density.png (needs --out)" };
        public readonly Option<int> DensityRuns = new("--density-runs") { Description = "SLQ: Lanczos runs (Rademacher starts) averaged", DefaultValueFactory = _ => HessianSpectra.DefaultDensityRuns };
        public readonly Option<int> LanczosSteps = new("--lanczos-steps") { Description = "SLQ: Lanczos steps (HVPs) per run, ≤ d·c", DefaultValueFactory = _ => HessianSpectra.DefaultLanczosSteps };
        public readonly Option<double> DensityWidth = new("--density-width") { Description = "SLQ: Gaussian σ as a fraction of the span of the Ritz values", DefaultValueFactory = _ => SpectralDensity.DefaultRelativeWidth };
        public readonly Option<bool> BlockSpectra = new("--block-spectra") { Description = "λ_max and exact trace of every class block H_kk → block_top_eigenvalue.csv and .png (λ_max vs π_k, log-log; needs --out)" };
        public readonly Option<long> Seed = new("--spectrum-seed") { Description = "seed of the random starts of Lanczos, Hutchinson and SLQ", DefaultValueFactory = _ => 0 };
        public readonly DtypeOption Dtype = new();

        public Option[] All => [W, V, Out, TopK, Tolerance, MaxHvps, TraceSamples, Density, DensityRuns, LanczosSteps, DensityWidth, BlockSpectra, Seed, Dtype];
    }

    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource(ctx.Err.WriteLine);
        var o = new Options();
        var cmd = new Command("stats", "Exact loss, gradient and Hessian statistics of the linear model at W; Hessian spectra from HVPs.");
        src.AddTo(cmd);
        foreach (var option in o.All) cmd.Options.Add(option);
        cmd.SetAction(r =>
        {
            string? od = r.GetValue(o.Out);
            if ((r.GetValue(o.Density) || r.GetValue(o.BlockSpectra)) && od == null)
                throw new UserError($"{(r.GetValue(o.Density) ? "--density" : "--block-spectra")} writes CSV files: give --out DIR.");
            using var claim = od != null ? ctx.Claim(od, "stats") : null;
            var request = Request(r, o, src, ctx);
            request.Validate();
            var result = ModelStatistics.Compute(request, ctx.Compute, ctx.Cancel);
            Print(ctx, result);
            if (od != null) ctx.Out.WriteLine($"wrote {StatsFiles.Write(result, od, ctx.Cancel)}");
            return 0;
        });
        return cmd;
    }

    private static StatsRequest Request(ParseResult r, Options o, ProblemSource src, CliContext ctx)
    {
        var p = src.Load(r, ProblemFiles.ColumnsOf(r.GetValue(o.W), src.Waiting), ctx.Precision ?? Precision.Float64);
        var (d, c, bias) = (p.Data.D, p.Data.C, p.Data.HasBias);
        var weights = ProblemFiles.LoadWeights(r.GetValue(o.W), d, c, bias, waiting: src.Waiting);
        var direction = r.GetValue(o.V) is string vPath ? ProblemFiles.LoadWeights(vPath, d, c, bias, "V", src.Waiting) : null;
        return new StatsRequest(p, weights, direction)
        {
            TopEigenvalues = r.GetValue(o.TopK), EigenTolerance = r.GetValue(o.Tolerance), MaxHvps = r.GetValue(o.MaxHvps),
            TraceSamples = r.GetValue(o.TraceSamples), Density = r.GetValue(o.Density), DensityRuns = r.GetValue(o.DensityRuns),
            LanczosSteps = r.GetValue(o.LanczosSteps), DensityWidth = r.GetValue(o.DensityWidth), BlockSpectra = r.GetValue(o.BlockSpectra),
            SpectrumSeed = r.GetValue(o.Seed),
        };
    }

    private static void Print(CliContext ctx, StatsResult result)
    {
        var (p, data) = (result.Request.Problem, result.Request.Problem.Data);
        ctx.Out.WriteLine($"{p.Name}: n={data.N}, d={data.D}, c={data.C}, groups={p.Groups.K}, loss={p.Loss}, backend={result.Backend}, dtype={result.Precision.Name()}");
        var table = new Table().AddColumn("quantity").AddColumn(new TableColumn("value").RightAligned()).AddColumn("note");
        foreach (var (quantity, value, note) in result.Rows())
            table.AddRow(Markup.Escape(quantity), JsonOut.Number(value), Markup.Escape(note ?? ""));
        ctx.Console.Write(table);
    }
}
