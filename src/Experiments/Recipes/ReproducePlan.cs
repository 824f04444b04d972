using HeavyTail.Analytic.Data;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Recipes;

/// <summary>
/// A set of training runs `reproduce` does: one recipe's grid (or observed runs) on one problem with one optimizer.
/// </summary>
/// <param name="StepSizes">step sizes per seed: <see cref="ReproducePlan.GridStepSizes"/> for a grid (before the stability
/// ladder, which can add a few), 1 for a run at the selected step size.</param>
/// <param name="What">"grid", "observed (TABLE)" or "retrained (not cached)".</param>
/// <param name="CachedBy">the earlier recipe whose identical runs the cache returns (then no FLOPs), or null.</param>
/// <param name="ThroughCache">false: trained outside the run cache (the run is redone every time).</param>
/// <param name="Observe">the observer table recorded with the runs (<see cref="RunSpec.Observe"/>), or null.</param>
public sealed record PlannedRuns(string Recipe, ProblemOptions Problem, string Optimizer, int StepSizes, int Seeds, int Steps, string What,
    string? CachedBy = null, bool ThroughCache = true, string? Observe = null)
{
    /// <summary>n, d, c of the problem (from <see cref="MemoryCheck.Sizes"/>).</summary>
    public (long N, long D, long C) Sizes => MemoryCheck.Sizes(Problem) ?? throw new ArgumentException($"no sizes for problem {Problem.Name}.");

    /// <summary>Runs in this row: step sizes × seeds.</summary>
    public int Runs => StepSizes * Seeds;

    /// <summary>FLOPs of one run: steps × <see cref="ReproducePlan.FlopsPerStep"/>.</summary>
    public double FlopsPerRun => Steps * ReproducePlan.FlopsPerStep(Problem, Sizes);

    /// <summary>FLOPs this row adds: none when the cache already holds its runs.</summary>
    public double Flops => CachedBy != null ? 0 : Runs * FlopsPerRun;

    /// <summary>The runs' identity in the cache (problem, optimizer, steps, seeds, observer).</summary>
    internal string Identity => $"{Problem}|{Optimizer}|{Steps}|{Seeds}|{What}|{ThroughCache}|{Observe}";
}

/// <summary>
/// What `reproduce` trains at a scale, without training it (`reproduce --dry-run`): the linear-model recipes' grids and
/// observed runs, mirroring the recipes' <c>Tuned</c> and <c>GetOrRun</c> calls (RecipeTests compares the tiny plan with
/// the runs a tiny reproduce caches). Not counted: the ODE solves and short one-hot runs of `flows` and `rates`, the
/// observers' own passes (per-class Hessian traces, HVPs of `hessian-spectrum`) and the TorchSharp recipes.
/// </summary>
public static class ReproducePlan
{
    /// <summary>Step sizes a grid trains per seed before the stability ladder: 8 powers of ten and 2 half-powers (1 at an edge).</summary>
    public static readonly int GridStepSizes = GridSearch.Coarse().Length + 2;

    /// <summary>
    /// FLOPs of one full-batch step of the linear model on n×d inputs with c classes:
    /// F = 2·(2·n·d·c) for the two GEMMs (forward Z = X·W, backward ∇L = Xᵀ·R, 2 FLOPs per multiply-add)
    ///   + 5·n·c for the softmax row passes (max, exp, sum, divide, subtract the label)
    ///   + 10·d·c for the optimizer's element-wise update (Adam's ≈ 10 operations per weight, an upper bound for the others).
    /// One-hot inputs (X = I, n = d = c: the population models one-hot and bigram) skip both GEMMs: F = 5·c² + 10·c².
    /// </summary>
    public static double FlopsPerStep(ProblemOptions problem, (long N, long D, long C) s)
    {
        double gemms = problem.Name is "one-hot" or "bigram" ? 0 : 2.0 * (2.0 * s.N * s.D * s.C);
        return gemms + 5.0 * s.N * s.C + 10.0 * s.D * s.C;
    }

    /// <summary>Every planned run set of <c>reproduce</c> at <paramref name="scale"/>, in recipe order, with the cache sharing between recipes marked.</summary>
    public static IReadOnlyList<PlannedRuns> For(Scale scale)
    {
        int steps = RecipeContext.StepsAt(scale), seeds = RecipeContext.SeedsAt(scale).Length, m = RecipeContext.HtRandomMAt(scale);
        var ht = new ProblemOptions { Name = "ht-random", M = m };
        var rows = new List<PlannedRuns>();
        var seen = new Dictionary<string, string>();
        void Add(string recipe, ProblemOptions p, string opt, int lrs, int s, int t, string what, bool cached = true, string? observe = null)
        {
            var row = new PlannedRuns(recipe, p, opt, lrs, s, t, what, ThroughCache: cached, Observe: observe);
            if (cached && seen.TryGetValue(row.Identity, out var first)) row = row with { CachedBy = first };
            else if (cached) seen[row.Identity] = recipe;
            rows.Add(row);
        }
        void Grid(string recipe, ProblemOptions p, string opt, int t = 0, int s = 0) => Add(recipe, p, opt, GridStepSizes, s > 0 ? s : seeds, t > 0 ? t : steps, "grid");

        foreach (var o in new[] { "gd", "adam" }) Grid("ht-random-gd-vs-adam", ht, o);
        foreach (var o in HtRandomOptimizersRecipe.Optimizers) Grid("ht-random-optimizers", ht, o);
        foreach (var o in new[] { "gd", "adam" }) Grid("ht-cube", HtCubeRecipe.ProblemAt(scale), o);
        foreach (var o in new[] { "gd", "adam" }) Grid("ht-identity", HtIdentityRecipe.ProblemAt(scale), o);
        foreach (var o in new[] { "gd", "adam" })
        {
            Grid("gradient-hessian", ht, o);
            Add("gradient-hessian", ht, o, 1, 1, steps, "observed (per-class statistics)", observe: PerClassStatisticsObserver.TableName);
        }
        foreach (var inputs in new[] { "uniform", "gaussian" })
            foreach (var o in new[] { "gd", "adam" }) Grid("input-distribution", ht with { Inputs = inputs }, o);
        foreach (var o in new[] { "gd", "adam", "sign" })
        {
            Grid("heterogeneity", ht, o);
            Add("heterogeneity", ht, o, 1, 1, steps, "observed (heterogeneity)", observe: HeterogeneityObserver.TableName);
        }
        var (classes, budget) = HeterogeneityRecipe.SweepAt(scale);
        foreach (double a in HeterogeneityRecipe.Exponents)
            foreach (var o in new[] { "gd", "sign" }) Grid("heterogeneity", new ProblemOptions { Name = "one-hot", Classes = classes, ZipfExponent = a }, o, budget, 1);
        Grid("heterogeneity", ht, "signum");
        Grid("heterogeneity", ht, "sign-m");
        Add("heterogeneity", ht, "signum", 1, 1, steps, "observed (weight norms)", observe: WeightNormObserver.TableName);
        Add("heterogeneity", ht, "sign", 1, 1, steps, "observed (weight norms)", observe: WeightNormObserver.TableName);   // sign at Signum's step size
        Add("heterogeneity", ht, "sign-m", 1, 1, steps, "observed (weight norms)", observe: WeightNormObserver.TableName);
        foreach (var o in new[] { "gd", "adam" })
        {
            Grid("hessian-spectrum", ht, o);
            Add("hessian-spectrum", ht, o, 1, 1, steps, "retrained for W (not cached)", cached: false);
        }
        // scaling-laws: the iterations come from closed forms; GD and sign descent are simulated once each to check them
        foreach (var (p, settings, t) in ScalingLawsRecipe.OverlayRuns(scale))
            Add("scaling-laws", p, settings.Name, 1, 1, t, "observed (closed-form overlay)");
        foreach (double a in BlockHeterogeneityRecipe.Exponents)
            foreach (var o in new[] { "gd", "adam" })
            {
                var p = BlockHeterogeneityRecipe.ProblemAt(scale, a);
                Grid("block-heterogeneity", p, o, s: 1);
                Add("block-heterogeneity", p, o, 1, 1, steps, "retrained for W at 0, T/4, T/2, T (not cached)", cached: false);
            }
        // muon-tail: the correlated embedding's grids are ht-random-optimizers' (cache hits); the orthogonal one's on its one data set
        foreach (var o in MuonTailRecipe.Optimizers) Grid("muon-tail", MuonTailRecipe.OrthogonalAt(scale), o, s: 1);
        foreach (var o in MuonTailRecipe.Optimizers) Grid("muon-tail", MuonTailRecipe.CorrelatedAt(scale), o);
        // rotation: the original problem's grids are ht-random-optimizers' (cache hits); on the rotated problem GD runs once
        // at the original's η and the others choose among five half-powers around theirs, on data seed 0
        foreach (var o in RotationRecipe.Optimizers)
        {
            Grid("rotation", RotationRecipe.ProblemAt(scale, rotated: false), o);
            if (o == "gd") Add("rotation", RotationRecipe.ProblemAt(scale, rotated: true), o, 1, 1, steps, "at the original's η (GD is rotation-equivariant)");
            else Add("rotation", RotationRecipe.ProblemAt(scale, rotated: true), o, RotationRecipe.RotatedOffsets.Length, 1, steps, "grid of 5 half-powers around the original's η");
        }
        return rows;
    }
}
