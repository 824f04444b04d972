using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Recipes;

/// <summary>
/// Hessian spectra on HT-Random at W = 0 and after GD and Adam at their selected step sizes: the top eigenvalues (block
/// Lanczos), the eigenvalue density (SLQ) and the top eigenvalue of every class block H_kk against class frequency
/// (the per-block view of Zhang et al. 2024, "Why Transformers Need Adam: A Hessian Perspective").
/// </summary>
/// <remarks>
/// At W = 0, P = 1/c everywhere, so H = (1/c)(I − 11ᵀ/c) ⊗ XᵀX/n: every eigenvalue of XᵀX/n appears c − 1 times (divided
/// by c) and every class block is the same matrix H_kk = (1/c)(1 − 1/c)XᵀX/n. Training breaks that symmetry; how it does
/// so is what the recipe measures. Sizes: the top K = 5 eigenvalues (block size 5), SLQ with 3 runs of 20 steps (15 at tiny
/// scale), so at m = 7 a state costs ≤ 100 + 60 + 10 HVPs (≈ 0.03 s each on 2 cores) and the recipe adds ≈ 15 s to reproduce.
/// </remarks>
public sealed class HessianSpectrumRecipe : IRecipe
{
    /// <inheritdoc/>
    public string Name => "hessian-spectrum";
    /// <inheritdoc/>
    public string Description => "Hessian spectra on HT-Random at W = 0 and after GD and Adam: top eigenvalues (block Lanczos), SLQ density, λ_max of each class block H_kk vs class frequency.";

    private sealed record State(string Key, string Label, ScottPlot.Color Color, double Lr, TopEigenvalues Top, SpectralDensity Density, BlockSpectra Blocks,
        GradientHeterogeneity Spread, double Spearman);

    /// <summary>What every state is measured with: the model of HT-Random, its class frequencies, the top-K size and the SLQ runs × steps.</summary>
    private sealed record Sizes(LinearModel Model, double[] Freq, int K, int Runs, int Steps);

    /// <summary>The seed of the Lanczos and SLQ probes.</summary>
    private const long Seed = 0;

    /// <inheritdoc/>
    public void Run(RecipeContext ctx)
    {
        var options = new ProblemOptions { Name = "ht-random", M = ctx.HtRandomM };
        var (problem, model) = ctx.Env.Problems.Get(options);
        var freq = model.Data.ClassMass.ToArray();
        int k = 5, runs = 3, steps = ctx.Tiny ? 15 : 20;
        ctx.Settings["top_k"] = k; ctx.Settings["slq_runs"] = runs; ctx.Settings["slq_steps"] = steps;
        var sizes = new Sizes(model, freq, k, runs, steps);

        var states = States(ctx, options, problem, sizes);
        TopFigure(ctx, states, k);
        DensityFigure(ctx, states, runs, steps);
        BlockFigure(ctx, states, freq);
        Tables(ctx, states, sizes);
        Checks(ctx, states, sizes);
        Reading(ctx, states, sizes);
    }

    /// <summary>The spectra at W = 0 and after GD and Adam, each trained once more at its grid-selected step size for W.</summary>
    private static List<State> States(RecipeContext ctx, ProblemOptions options, Problem problem, Sizes sizes)
    {
        var model = sizes.Model;
        var states = new List<State> { Measure(ctx, sizes, "w0", "W = 0", ScottPlot.Colors.Gray, double.NaN, new double[model.ParameterCount]) };
        foreach (var name in new[] { "gd", "adam" })
        {
            var template = RecipeContext.Optimizer(name);
            var (grid, _) = ctx.Tuned(options, template);
            var settings = template with { Lr = grid.SelectedLr };
            // The cache keeps trajectories, not weights: train once more at the selected step size for W.
            var trained = TrainingLoop.RunOne(new LinearModelStepper(model, settings.Create(model), problem.Groups),
                new TrainingSchedule(ctx.Steps, ctx.LogEvery), cancel: ctx.Cancel);
            states.Add(Measure(ctx, sizes, name, $"{name} (η = {grid.SelectedLr:G3}), step {ctx.Steps}", Figure.OptimizerColor(name), grid.SelectedLr, trained.W));
        }
        return states;
    }

    /// <summary>The top eigenvalues, SLQ density and class blocks' top eigenvalues of the Hessian at <paramref name="w"/>.</summary>
    private static State Measure(RecipeContext ctx, Sizes sizes, string key, string label, ScottPlot.Color color, double lr, double[] w)
    {
        var model = sizes.Model;
        ctx.Cancel.ThrowIfCancellationRequested();
        var top = HessianSpectra.Top(model, w, sizes.K, Seed, cancel: ctx.Cancel);
        var rho = HessianSpectra.Density(model, w, sizes.Runs, sizes.Steps, Seed, cancel: ctx.Cancel);
        var blocks = HessianSpectra.Blocks(model, w, Seed, cancel: ctx.Cancel);
        var spread = GradientHeterogeneity.FromBlockNorms(blocks.TopEigenvalue);
        ctx.Log($"hessian-spectrum {key}: λ_1 = {top.Values[0]:G4} ({top.MatVecs} HVPs), block λ_max max/min = {spread.MaxMinRatio:G4} ({blocks.Products} HVPs)");
        // blocks equal within the Lanczos tolerance (W = 0) have no ranking: their Spearman ρ would be rounding noise
        double rankCorrelation = spread.MaxMinRatio - 1 <= 1e-8 ? double.NaN : Correlation.Spearman(blocks.TopEigenvalue, sizes.Freq);
        return new State(key, label, color, lr, top, rho, blocks, spread, rankCorrelation);
    }

    /// <summary>The top K eigenvalues of every state, with GD's stability threshold 2/η.</summary>
    private static void TopFigure(RecipeContext ctx, List<State> states, int k)
    {
        var topFig = new Figure($"Top {k} Hessian eigenvalues, HT-Random m = {ctx.HtRandomM} (block Lanczos)", "index i", "eigenvalue λ_i");
        foreach (var s in states)
            topFig.Line(Enumerable.Range(1, k).Select(i => (double)i).ToArray(), s.Top.Values, s.Color, $"{s.Label}: {s.Top.MatVecs} HVPs", markers: true);
        // GD on a quadratic is stable only for λ_1 < 2/η: the reference line for the GD curve
        double gdThreshold = 2 / states[1].Lr;
        topFig.Line([0.8, k + 0.2], [gdThreshold, gdThreshold], states[1].Color, $"2/η of GD = {gdThreshold:G3} (stability threshold of GD on a quadratic)", dashed: true, width: 1);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 1; i <= k; i++) ticks.AddMajor(i, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        topFig.Plot.Axes.Bottom.TickGenerator = ticks;
        topFig.YLimits = (0, 1.15 * Math.Max(gdThreshold, states.Max(s => s.Top.Values[0])));
        ctx.Figure(topFig, "top_eigenvalues", "The largest Hessian eigenvalues (block Lanczos on HVPs) at W = 0 and after GD and Adam; the GD line marks its stability limit 2/η.");
    }

    /// <summary>The SLQ eigenvalue densities of every state.</summary>
    private static void DensityFigure(RecipeContext ctx, List<State> states, int runs, int steps)
    {
        double peak = states.Max(s => s.Density.Density.Max());
        var densityFig = SpectrumPlots.DensityFigure($"Hessian eigenvalue density, HT-Random m = {ctx.HtRandomM} (SLQ: {runs} runs × {steps} steps)");
        foreach (var s in states) SpectrumPlots.AddDensity(densityFig, s.Density, s.Color, $"{s.Label}, σ = {s.Density.Sigma:G2}", peak);
        ctx.Figure(densityFig, "density", "The Hessian's eigenvalue density by stochastic Lanczos quadrature (log y): at W = 0 a spike at 0 and one at λ₁ with c − 1 copies; training spreads the outliers.");
    }

    /// <summary>Each class block's top eigenvalue against its class frequency (log-log), per state.</summary>
    private static void BlockFigure(RecipeContext ctx, List<State> states, double[] freq)
    {
        var blockFig = new Figure("Top eigenvalue of each class block H_kk vs class frequency", "class frequency π_k", "λ_max(H_kk)", logX: true, logY: true);
        foreach (var s in states) blockFig.Line(freq, s.Blocks.TopEigenvalue, s.Color, s.Label, markers: true);
        ctx.Figure(blockFig, "block_top_eigenvalue_vs_frequency", "Top eigenvalue of each class block H_kk against its class frequency (log-log): equal at W = 0, ordered by frequency after training, and many decades apart under Adam as rare classes are fitted.");
    }

    /// <summary>top_eigenvalues.csv, density.csv, block_top_eigenvalue.csv and block_spread.csv, with their note.</summary>
    private static void Tables(RecipeContext ctx, List<State> states, Sizes sizes)
    {
        var (model, freq) = (sizes.Model, sizes.Freq);
        ctx.Csv("top_eigenvalues.csv", ["state", "index", "eigenvalue", "residual_norm"],
            states.SelectMany((s, j) => s.Top.Values.Select((v, i) => (IReadOnlyList<double>)[j, i + 1, v, s.Top.ResidualNorms[i]])));
        ctx.Csv("density.csv", ["state", "eigenvalue", "density"],
            states.SelectMany((s, j) => s.Density.Grid.Select((x, g) => (IReadOnlyList<double>)[j, x, s.Density.Density[g]])));
        ctx.Csv("block_top_eigenvalue.csv", ["state", "class", "frequency", "block_top_eigenvalue", "block_trace"],
            states.SelectMany((s, j) => Enumerable.Range(0, model.C).Select(c => (IReadOnlyList<double>)[j, c, freq[c], s.Blocks.TopEigenvalue[c], s.Blocks.Trace[c]])));
        ctx.Csv("block_spread.csv", ["state", "max_min_ratio", "cv", "spearman_frequency", "lambda_1", "top_k_hvps", "block_hvps"],
            states.Select((s, j) => (IReadOnlyList<double>)[j, s.Spread.MaxMinRatio, s.Spread.CoefficientOfVariation, s.Spearman, s.Top.Values[0], s.Top.MatVecs, s.Blocks.Products]));
        ctx.Notes.Add("column state of the CSVs: 0 = W = 0, 1 = after GD, 2 = after Adam (selected step sizes, " + ctx.Steps + " steps).");
    }

    /// <summary>The checks: equal class blocks and a repeated top eigenvalue at W = 0, GD's frequency ordering, convergence.</summary>
    private static void Checks(RecipeContext ctx, List<State> states, Sizes sizes)
    {
        var (model, k) = (sizes.Model, sizes.K);
        var (w0, gd) = (states[0], states[1]);
        ctx.Check("W = 0: every class block is the same matrix", "λ_max(H_kk) equal for all k: max/min − 1 ≤ 1e-8 (Lanczos stops at residual 1e-10·θ)",
            $"max/min − 1 = {w0.Spread.MaxMinRatio - 1:G3}", w0.Spread.MaxMinRatio - 1 <= 1e-8);
        ctx.Check("W = 0: top eigenvalue repeated", $"λ_1 = … = λ_{k} (multiplicity c − 1 = {model.C - 1} ≥ {k}), found by block Lanczos",
            $"(λ_1 − λ_{k})/λ_1 = {(w0.Top.Values[0] - w0.Top.Values[^1]) / w0.Top.Values[0]:G3}", (w0.Top.Values[0] - w0.Top.Values[^1]) <= 1e-8 * w0.Top.Values[0]);
        ctx.Check("GD: ρ(λ_max(H_kk), π_k)", "training under GD orders the block curvature by class frequency: Spearman ρ ≥ 0.5",
            $"{gd.Spearman:F3}", gd.Spearman >= 0.5);
        ctx.Check($"top-{k} eigenvalues converged", $"every Ritz residual ≤ 1e-10·λ_1 within {Lanczos.DefaultMaxMatVecs(model.ParameterCount, k)} HVPs",
            string.Join(", ", states.Select(s => $"{s.Key}: {s.Top.MatVecs} HVPs")), states.All(s => s.Top.Converged && s.Blocks.Converged));
    }

    /// <summary>The reading, phrased by the checks' outcomes.</summary>
    private static void Reading(RecipeContext ctx, List<State> states, Sizes sizes)
    {
        var (model, k) = (sizes.Model, sizes.K);
        var (w0, gd, adam) = (states[0], states[1], states[2]);
        int budget = states.Max(s => s.Top.MatVecs);
        string Spread(State s) => $"max/min {s.Spread.MaxMinRatio:G3}, CV {s.Spread.CoefficientOfVariation:F2}";
        string direction(State s) => s.Spread.CoefficientOfVariation > w0.Spread.CoefficientOfVariation ? "grows" : "shrinks";
        ctx.Reading = ctx.Holds("W = 0: every class block is the same matrix", $"At W = 0 every class block is the same matrix (λ_max(H_kk) = {w0.Blocks.TopEigenvalue[0]:G4} for all {model.C} classes)",
                          $"At W = 0 the class blocks' top eigenvalues differ ({Spread(w0)}: the check fails)") +
                      ctx.Holds("W = 0: top eigenvalue repeated", $" and the top Hessian eigenvalue λ_1 = {w0.Top.Values[0]:G4} comes with c − 1 copies.",
                          $"; the top {k} Hessian eigenvalues found are not all equal to λ_1 = {w0.Top.Values[0]:G4} (the check fails).") +
                      $" After GD the spread of the block top eigenvalues {direction(gd)} to {Spread(gd)}" +
                      ctx.Holds("GD: ρ(λ_max(H_kk), π_k)", ", ordered by class frequency", ", not ordered by class frequency (the check fails)") +
                      $" (Spearman ρ = {gd.Spearman:F2}); after Adam it is {Spread(adam)} (ρ = {adam.Spearman:F2}). λ_1 moves from {w0.Top.Values[0]:G4} to " +
                      $"{gd.Top.Values[0]:G4} under GD (2/η = {2 / gd.Lr:G3}) and {adam.Top.Values[0]:G4} under Adam; the top {k} took at most {budget} HVPs" +
                      ctx.Holds($"top-{k} eigenvalues converged", ", every one of them converged.", ", and not all of them converged (the check fails).");
    }
}
