using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;

namespace HeavyTail.Experiments.Runs;

/// <summary>What <see cref="ModelStatistics.Compute"/> measures at a point W: the exact statistics always, the spectra when asked.</summary>
/// <param name="Problem">the data and its groups.</param>
/// <param name="Weights">W (d×c, row-major).</param>
/// <param name="Direction">V for a Hessian-vector product HV (null: none).</param>
public sealed record StatsRequest(Problem Problem, double[] Weights, double[]? Direction = null)
{
    /// <summary>K: the K largest Hessian eigenvalues by block Lanczos (null: none).</summary>
    public int? TopEigenvalues { get; init; }
    /// <summary>Lanczos stops when every Ritz residual is at most this × λ₁.</summary>
    public double EigenTolerance { get; init; } = Lanczos.DefaultTolerance;
    /// <summary>HVP budget of the top-K Lanczos, and the Lanczos step cap of each class block (null: <see cref="Lanczos.DefaultMaxMatVecs"/>).</summary>
    public int? MaxHvps { get; init; }
    /// <summary>S ≥ 2 Rademacher probes for Hutchinson's trace estimate (null: none).</summary>
    public int? TraceSamples { get; init; }
    /// <summary>Estimate the eigenvalue density by stochastic Lanczos quadrature.</summary>
    public bool Density { get; init; }
    /// <summary>SLQ: Lanczos runs averaged.</summary>
    public int DensityRuns { get; init; } = HessianSpectra.DefaultDensityRuns;
    /// <summary>SLQ: Lanczos steps (HVPs) per run.</summary>
    public int LanczosSteps { get; init; } = HessianSpectra.DefaultLanczosSteps;
    /// <summary>SLQ: Gaussian σ as a fraction of the span of the Ritz values.</summary>
    public double DensityWidth { get; init; } = SpectralDensity.DefaultRelativeWidth;
    /// <summary>λ_max and exact trace of every class block H_kk.</summary>
    public bool BlockSpectra { get; init; }
    /// <summary>Seed of the random starts of Lanczos, Hutchinson and SLQ.</summary>
    public long SpectrumSeed { get; init; }

    /// <summary>Checks the settings against the problem's size: one <see cref="UserError"/> line naming the option.</summary>
    public void Validate()
    {
        long parameters = (long)Problem.Data.D * Problem.Data.C;
        if (TopEigenvalues is int k && (k < 1 || k > parameters))
            throw new UserError($"--top-eigenvalues {k} must satisfy 0 < K ≤ d·c = {parameters}.");
        if (!(EigenTolerance > 0 && EigenTolerance < 1)) throw new UserError($"--eigen-tolerance {EigenTolerance} must lie in (0, 1).");
        if (MaxHvps is int cap && (cap < 1 || TopEigenvalues is int kk && cap < kk))
            throw new UserError($"--max-hvps {cap} must be at least 1{(TopEigenvalues is int k2 ? $" and at least --top-eigenvalues {k2}" : "")}.");
        if (TraceSamples is int s && s < 2) throw new UserError($"--trace-samples {s} must be at least 2 (a standard error needs two samples).");
        if (!Density) return;
        if (DensityRuns < 1) throw new UserError($"--density-runs {DensityRuns} must be at least 1.");
        if (LanczosSteps < 2) throw new UserError($"--lanczos-steps {LanczosSteps} must be at least 2.");
        if (LanczosSteps > parameters)
            throw new UserError($"--density with --lanczos-steps {LanczosSteps} needs d·c ≥ {LanczosSteps}, but d·c = {parameters}: lower --lanczos-steps.");
        if (!(DensityWidth > 0) || !double.IsFinite(DensityWidth)) throw new UserError($"--density-width {DensityWidth} must be a positive number.");
    }
}

/// <summary>A rank correlation with the class frequency, or NaN with the reason it has none.</summary>
/// <param name="Value">Spearman's ρ, or NaN.</param>
/// <param name="WhyUndefined">null when <paramref name="Value"/> is a number; else why (e.g. every block equal at W = 0).</param>
public sealed record FrequencyCorrelation(double Value, string? WhyUndefined)
{
    /// <summary>
    /// Spearman's ρ of <paramref name="values"/> with <paramref name="frequency"/>; NaN with a reason when the values are all
    /// equal within <paramref name="relativeTolerance"/> (no ranking: at W = 0 every class block is the same matrix) or the
    /// frequencies are.
    /// </summary>
    public static FrequencyCorrelation Of(IReadOnlyList<double> values, IReadOnlyList<double> frequency, string what, double relativeTolerance = 1e-12)
    {
        double max = values.Max(), min = values.Min();
        if (max - min <= relativeTolerance * Math.Abs(max))
            return new(double.NaN, $"every {what} is the same (within {relativeTolerance:G1} relative; at W = 0 all class blocks are the same matrix), so they have no ranking");
        if (frequency.Max() == frequency.Min())
            return new(double.NaN, "every class has the same frequency, so the frequencies have no ranking");
        return new(Correlation.Spearman(values, frequency), null);
    }
}

/// <summary>Everything <see cref="ModelStatistics.Compute"/> measured, with the table rows and the stats.json it writes.</summary>
public sealed record StatsResult(StatsRequest Request, PerClassStatistics Stats, double[] HessianDiagonal, double[]? Hvp, double[] GroupLoss,
    TopEigenvalues? Top, (double Estimate, double StandardError)? Trace, SpectralDensity? Density, BlockSpectra? Blocks, string Backend, Precision Precision)
{
    /// <summary>Spearman(tr H_kk, π_k), NaN with a reason when every block trace is equal.</summary>
    public FrequencyCorrelation TraceCorrelation => FrequencyCorrelation.Of(Stats.PerClassHessianTrace, Stats.ClassFrequency, "block trace tr(H_kk)");

    /// <summary>Spearman(λ_max(H_kk), π_k): blocks equal within the Lanczos tolerance have no ranking.</summary>
    public FrequencyCorrelation? BlockCorrelation => Blocks == null ? null
        : FrequencyCorrelation.Of(Blocks.TopEigenvalue, Stats.ClassFrequency, "block λ_max(H_kk)", relativeTolerance: 1e-8);

    /// <summary>Ritz residuals of the top-K eigenvalues relative to λ₁, as the tolerance is (‖r_i‖ / λ₁).</summary>
    public double[]? RelativeResiduals => Top == null ? null : Top.ResidualNorms.Select(r => Top.Values[0] == 0 ? r : r / Math.Abs(Top.Values[0])).ToArray();

    /// <summary>The quantities printed as a table: (name, value, note).</summary>
    public IReadOnlyList<(string Quantity, double Value, string? Note)> Rows()
    {
        var s = Stats;
        var rows = new List<(string, double, string?)>
        {
            ("loss (nats)", s.Loss, null), ("log(c)", Math.Log(Request.Problem.Data.C), null), ("gradient norm", s.GradientNorm, null),
            ("Hessian trace", s.HessianTrace, null), ("heterogeneity max/min", s.Heterogeneity.MaxMinRatio, null),
            ("heterogeneity CV", s.Heterogeneity.CoefficientOfVariation, null), ("Spearman(‖G_k‖, π_k)", s.SpearmanGradFrequency, null),
            ("Spearman(tr H_kk, π_k)", TraceCorrelation.Value, TraceCorrelation.WhyUndefined),
        };
        for (int g = 0; g < GroupLoss.Length; g++) rows.Add(($"group {g} loss", GroupLoss[g], null));
        if (Top != null)
        {
            string status = Top.Converged ? "converged" : $"NOT converged: raise --max-hvps (now {Top.MatVecs}) or --eigen-tolerance";
            for (int i = 0; i < Top.Values.Length; i++)
                rows.Add(($"eigenvalue {i + 1}", Top.Values[i], $"residual/λ₁ {RelativeResiduals![i]:G2}" + (i == 0 ? $"; {Top.MatVecs} HVPs, {status}" : "")));
        }
        if (Trace is var (est, se)) { rows.Add(("Hessian trace, Hutchinson", est, null)); rows.Add(("  standard error", se, null)); }
        if (Density != null) rows.Add(($"SLQ mean eigenvalue ({Request.DensityRuns}×{Request.LanczosSteps} HVPs)", Density.Moment(1), null));
        if (Blocks != null)
        {
            var h = GradientHeterogeneity.FromBlockNorms(Blocks.TopEigenvalue);
            rows.Add(($"block λ_max: max/min ({Blocks.Products} HVPs)", h.MaxMinRatio, Blocks.Converged ? null : "NOT converged: raise --max-hvps"));
            rows.Add(("block λ_max: CV", h.CoefficientOfVariation, null));
            rows.Add(("Spearman(λ_max(H_kk), π_k)", BlockCorrelation!.Value, BlockCorrelation.WhyUndefined));
        }
        return rows;
    }

    /// <summary>The content of stats.json.</summary>
    public Dictionary<string, object?> ToJson()
    {
        var (s, p, data) = (Stats, Request.Problem, Request.Problem.Data);
        var json = new Dictionary<string, object?>
        {
            ["n"] = data.N, ["d"] = data.D, ["c"] = data.C, ["bias"] = data.HasBias, ["dtype"] = Precision.Name(), ["backend"] = Backend,
            ["loss"] = s.Loss, ["gradient_norm"] = s.GradientNorm, ["per_class_loss"] = s.PerClassLoss, ["per_class_grad_norm"] = s.PerClassGradNorm,
            ["per_class_hessian_trace"] = s.PerClassHessianTrace, ["per_class_weight_norm"] = s.PerClassWeightNorm, ["class_frequency"] = s.ClassFrequency,
            ["hessian_trace"] = s.HessianTrace, ["per_group_loss"] = GroupLoss, ["group_of_class"] = p.Groups.GroupOf,
            ["heterogeneity"] = new Dictionary<string, object?>
            {
                ["blocks"] = "class columns W[:, k]", ["max_min_ratio"] = s.Heterogeneity.MaxMinRatio, ["coefficient_of_variation"] = s.Heterogeneity.CoefficientOfVariation,
            },
            ["correlation_with_frequency"] = new Dictionary<string, object?>
            {
                ["pearson_grad_norm"] = s.PearsonGradFrequency, ["spearman_grad_norm"] = s.SpearmanGradFrequency,
                ["pearson_hessian_trace"] = s.PearsonTraceFrequency, ["spearman_hessian_trace"] = s.SpearmanTraceFrequency,
                ["spearman_hessian_trace_undefined"] = TraceCorrelation.WhyUndefined,
            },
            ["settings"] = RunJson.Of(p),
        };
        AddSpectra(json);
        return json;
    }

    private void AddSpectra(Dictionary<string, object?> json)
    {
        var r = Request;
        if (Top != null)
        {
            json["top_eigenvalues"] = Top.Values;
            json["top_eigenvalues_method"] = new Dictionary<string, object?>
            {
                ["method"] = "block Lanczos, full re-orthogonalisation", ["block_size"] = Top.BlockSize, ["hvps"] = Top.MatVecs, ["max_hvps"] = r.MaxHvps,
                ["residual_norms"] = Top.ResidualNorms, ["relative_residuals"] = RelativeResiduals, ["tolerance"] = r.EigenTolerance,
                ["tolerance_is"] = "relative to λ₁: every ‖r_i‖ ≤ tolerance·λ₁", ["converged"] = Top.Converged, ["seed"] = r.SpectrumSeed,
            };
        }
        if (Trace is var (te, tse))
        {
            json["trace_estimate"] = te; json["trace_standard_error"] = tse; json["trace_samples"] = r.TraceSamples; json["trace_seed"] = r.SpectrumSeed;
        }
        if (Density != null)
            json["density"] = new Dictionary<string, object?>
            {
                ["file"] = "density.csv", ["method"] = "stochastic Lanczos quadrature, Rademacher starts", ["runs"] = r.DensityRuns, ["lanczos_steps"] = r.LanczosSteps,
                ["hvps"] = Density.MatVecs, ["smoothing"] = "Gaussian", ["sigma"] = Density.Sigma, ["relative_width"] = r.DensityWidth, ["seed"] = r.SpectrumSeed,
                ["mean_eigenvalue"] = Density.Moment(1), ["exact_mean_eigenvalue"] = Stats.HessianTrace / ((double)r.Problem.Data.D * r.Problem.Data.C),
            };
        if (Blocks != null)
            json["block_spectra"] = new Dictionary<string, object?>
            {
                ["file"] = "block_top_eigenvalue.csv", ["figure"] = "block_top_eigenvalue.png", ["blocks"] = "class blocks H_kk (d×d)", ["hvps"] = Blocks.Products,
                ["max_steps_per_block"] = r.MaxHvps, ["converged"] = Blocks.Converged, ["seed"] = r.SpectrumSeed,
                ["spearman_frequency"] = BlockCorrelation!.Value, ["spearman_undefined"] = BlockCorrelation.WhyUndefined,
            };
    }
}

/// <summary>`heavytail stats` as one library call: the statistics of a problem's linear model at W.</summary>
public static class ModelStatistics
{
    /// <summary>
    /// Loss, gradient, Hessian diagonal, block traces, per-class and per-group statistics at W, the HVP with a direction,
    /// and the spectra the request asks for (block Lanczos, Hutchinson, SLQ, class-block λ_max), all on <paramref name="compute"/>.
    /// </summary>
    public static StatsResult Compute(StatsRequest request, ComputeContext compute, CancellationToken cancel = default)
    {
        request.Validate();
        var (p, w, seed) = (request.Problem, request.Weights, request.SpectrumSeed);
        var model = LinearModel.Create(p.Loss, p.Data, compute);
        var stats = PerClassStatistics.Compute(model, w);
        var diag = new double[p.Data.D * p.Data.C];
        model.Curvature(w, diag, null);
        double[]? hv = null;
        if (request.Direction is { } v) { hv = new double[v.Length]; model.HessianVectorProduct(w, v, hv); }
        var perSample = new double[model.N];
        model.PerSampleLoss(w, perSample);
        var groupLoss = model.PerGroupLossFromSamples(perSample, p.Groups);
        var top = request.TopEigenvalues is int k ? HessianSpectra.Top(model, w, k, seed, request.EigenTolerance, request.MaxHvps, cancel) : null;
        (double, double)? trace = request.TraceSamples is int s ? HessianSpectra.Trace(model, w, s, seed, cancel) : null;
        var rho = request.Density ? HessianSpectra.Density(model, w, request.DensityRuns, request.LanczosSteps, seed, request.DensityWidth, cancel) : null;
        var blocks = request.BlockSpectra ? HessianSpectra.Blocks(model, w, seed, request.MaxHvps, cancel) : null;
        cancel.ThrowIfCancellationRequested();
        return new StatsResult(request, stats, diag, hv, groupLoss, top, trace, rho, blocks, compute.Backend, compute.Precision);
    }
}
