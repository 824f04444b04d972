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
        var plan = new Builder(scale);
        PaperFigures(plan);
        StatisticsRecipes(plan);
        FieldClaims(plan);
        return plan.Rows;
    }

    /// <summary>The rows of the paper's figures: Figure 2, every optimizer, HT-Cube, HT-Identity.</summary>
    private static void PaperFigures(Builder plan)
    {
        foreach (var o in new[] { "gd", "adam" }) plan.Grid("ht-random-gd-vs-adam", plan.Ht, o);
        foreach (var o in HtRandomOptimizersRecipe.Optimizers) plan.Grid("ht-random-optimizers", plan.Ht, o);
        foreach (var o in new[] { "gd", "adam" }) plan.Grid("ht-cube", HtCubeRecipe.ProblemAt(plan.Scale), o);
        foreach (var o in new[] { "gd", "adam" }) plan.Grid("ht-identity", HtIdentityRecipe.ProblemAt(plan.Scale), o);
    }

    /// <summary>The rows of gradient-hessian, input-distribution, heterogeneity and hessian-spectrum.</summary>
    private static void StatisticsRecipes(Builder plan)
    {
        var ht = plan.Ht;
        int steps = plan.Steps;
        foreach (var o in new[] { "gd", "adam" })
        {
            plan.Grid("gradient-hessian", ht, o);
            plan.Add("gradient-hessian", ht, o, 1, 1, steps, "observed (per-class statistics)", observe: PerClassStatisticsObserver.TableName);
        }
        foreach (var inputs in new[] { "uniform", "gaussian" })
            foreach (var o in new[] { "gd", "adam" }) plan.Grid("input-distribution", ht with { Inputs = inputs }, o);
        foreach (var o in new[] { "gd", "adam", "sign" })
        {
            plan.Grid("heterogeneity", ht, o);
            plan.Add("heterogeneity", ht, o, 1, 1, steps, "observed (heterogeneity)", observe: HeterogeneityObserver.TableName);
        }
        var (classes, budget) = HeterogeneityRecipe.SweepAt(plan.Scale);
        foreach (double a in HeterogeneityRecipe.Exponents)
            foreach (var o in new[] { "gd", "sign" }) plan.Grid("heterogeneity", new ProblemOptions { Name = "one-hot", Classes = classes, ZipfExponent = a }, o, budget, 1);
        plan.Grid("heterogeneity", ht, "signum");
        plan.Grid("heterogeneity", ht, "sign-m");
        plan.Add("heterogeneity", ht, "signum", 1, 1, steps, "observed (weight norms)", observe: WeightNormObserver.TableName);
        plan.Add("heterogeneity", ht, "sign", 1, 1, steps, "observed (weight norms)", observe: WeightNormObserver.TableName);   // sign at Signum's step size
        plan.Add("heterogeneity", ht, "sign-m", 1, 1, steps, "observed (weight norms)", observe: WeightNormObserver.TableName);
        foreach (var o in new[] { "gd", "adam" })
        {
            plan.Grid("hessian-spectrum", ht, o);
            plan.Add("hessian-spectrum", ht, o, 1, 1, steps, "retrained for W (not cached)", cached: false);
        }
    }

    /// <summary>The rows of the field's claims: scaling-laws, block-heterogeneity, muon-tail, rotation.</summary>
    private static void FieldClaims(Builder plan)
    {
        var scale = plan.Scale;
        int steps = plan.Steps;
        // scaling-laws: the iterations come from closed forms; GD and sign descent are simulated once each to check them
        foreach (var (p, settings, t) in ScalingLawsRecipe.OverlayRuns(scale))
            plan.Add("scaling-laws", p, settings.Name, 1, 1, t, "observed (closed-form overlay)");
        foreach (double a in BlockHeterogeneityRecipe.Exponents)
            foreach (var o in new[] { "gd", "adam" })
            {
                var p = BlockHeterogeneityRecipe.ProblemAt(scale, a);
                plan.Grid("block-heterogeneity", p, o, s: 1);
                plan.Add("block-heterogeneity", p, o, 1, 1, steps, "retrained for W at 0, T/4, T/2, T (not cached)", cached: false);
            }
        // muon-tail: the correlated embedding's grids are ht-random-optimizers' (cache hits); the orthogonal one's on its one data set
        foreach (var o in MuonTailRecipe.Optimizers) plan.Grid("muon-tail", MuonTailRecipe.OrthogonalAt(scale), o, s: 1);
        foreach (var o in MuonTailRecipe.Optimizers) plan.Grid("muon-tail", MuonTailRecipe.CorrelatedAt(scale), o);
        // rotation: the original problem's grids are ht-random-optimizers' (cache hits); on the rotated problem GD runs once
        // at the original's η and the others choose among five half-powers around theirs, on data seed 0
        foreach (var o in RotationRecipe.Optimizers)
        {
            plan.Grid("rotation", RotationRecipe.ProblemAt(scale, rotated: false), o);
            if (o == "gd") plan.Add("rotation", RotationRecipe.ProblemAt(scale, rotated: true), o, 1, 1, steps, "at the original's η (GD is rotation-equivariant)");
            else plan.Add("rotation", RotationRecipe.ProblemAt(scale, rotated: true), o, RotationRecipe.RotatedOffsets.Length, 1, steps, "grid of 5 half-powers around the original's η");
        }
    }

    /// <summary>The rows being planned at one scale, each marked as a cache hit when an earlier recipe trains the same runs.</summary>
    private sealed class Builder(Scale scale)
    {
        private readonly Dictionary<string, string> _seen = new();
        public Scale Scale { get; } = scale;
        public int Steps { get; } = RecipeContext.StepsAt(scale);
        public int Seeds { get; } = RecipeContext.SeedsAt(scale).Length;
        public ProblemOptions Ht { get; } = new() { Name = "ht-random", M = RecipeContext.HtRandomMAt(scale) };
        public List<PlannedRuns> Rows { get; } = [];

        public void Add(string recipe, ProblemOptions p, string opt, int lrs, int s, int t, string what, bool cached = true, string? observe = null)
        {
            var row = new PlannedRuns(recipe, p, opt, lrs, s, t, what, ThroughCache: cached, Observe: observe);
            if (cached && _seen.TryGetValue(row.Identity, out var first)) row = row with { CachedBy = first };
            else if (cached) _seen[row.Identity] = recipe;
            Rows.Add(row);
        }

        public void Grid(string recipe, ProblemOptions p, string opt, int t = 0, int s = 0) =>
            Add(recipe, p, opt, GridStepSizes, s > 0 ? s : Seeds, t > 0 ? t : Steps, "grid");
    }
}
