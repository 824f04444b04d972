using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Statistics;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Recipes;

/// <summary>
/// Xie et al. 2024, "Adam Exploits ℓ∞-geometry of Loss Landscape via Coordinate-wise Adaptivity" (arXiv 2410.08198): rotating
/// the parameter space hurts Adam and not GD. HT-Random with its inputs rotated by a seeded Haar-random orthogonal Q
/// (X → XQ, so W → QᵀW gives the same logits: `--rotate-seed`), GD, Adam, sign descent and adam-blocks on the original and
/// the rotated problem.
/// </summary>
/// <remarks>
/// Choices where the paper leaves the experiment to us: the rotation acts on the input side only (W ∈ ℝ^{d×c} → QᵀW, the
/// rotation of the d-dimensional input space, shared by every class column, the analogue of the paper's rotated
/// parameters for a linear model), one Q (seed <see cref="RotateSeed"/>); the original problem's step sizes are the
/// recipes' grid selections (cache hits of ht-random-optimizers); on the rotated problem each optimizer's step size is
/// selected by the same rule (lowest final loss, then the stability ladder) among the five half-powers η·10^(k/2),
/// k = −2 … 2, around the original's η, on data seed 0 (a full grid over two seeds would cost a minute at small scale);
/// GD is run on the rotated problem at the original's η (its trajectory is the same, the property test
/// RotationInvarianceTests checks it). ‖H(W_0)‖_{1,1} is exact at every scale by the Kronecker form of the Hessian at
/// W = 0 (<see cref="HessianNorms"/>), checked against the dense Hessian at tiny scale.
/// </remarks>
public sealed class RotationRecipe : IRecipe
{
    /// <inheritdoc/>
    public string Name => "rotation";
    /// <inheritdoc/>
    public string Description => "Xie et al. 2024 (arXiv 2410.08198): GD, Adam, sign descent and adam-blocks on HT-Random and on HT-Random with inputs rotated by a seeded Haar-random " +
                                  "orthogonal Q (X → XQ, W → QᵀW: the same loss at corresponding points); final loss, rarest group's loss fraction and ‖H(W_0)‖_{1,1} (exact, Kronecker form) " +
                                  "before and after; the rotated step sizes from the grid rule on the five half-powers around the original's; claim: the rotation raises Adam's final loss and not GD's.";

    /// <summary>The seed of Q.</summary>
    public const long RotateSeed = 1;

    /// <summary>The optimizers run on the original and the rotated problem.</summary>
    public static readonly string[] Optimizers = ["gd", "adam", "sign", "adam-blocks"];

    /// <summary>Half-power offsets k of the rotated grid η·10^(k/2) around the original's selected η.</summary>
    public static readonly int[] RotatedOffsets = [-2, -1, 0, 1, 2];

    /// <summary>HT-Random at the scale's m, with inputs rotated by Q(<see cref="RotateSeed"/>) when <paramref name="rotated"/>.</summary>
    public static ProblemOptions ProblemAt(Scale s, bool rotated) =>
        new() { Name = "ht-random", M = RecipeContext.HtRandomMAt(s), RotateSeed = rotated ? RotateSeed : null };

    /// <summary>The rotated problem's step sizes: η·10^(k/2) for k in <see cref="RotatedOffsets"/>.</summary>
    public static double[] RotatedGrid(double eta) => RotatedOffsets.Select(k => eta * Math.Pow(10, k / 2.0)).ToArray();

    private static int Code(string optimizer) => Array.IndexOf(Optimizers, optimizer);

    private sealed record Pair(string Optimizer, RunRecord Original, RunRecord Rotated)
    {
        public double Rarest(RunRecord r) => r.Rows[^1].GroupLosses[^1] / r.Rows[0].GroupLosses[^1];
        public double RarestOriginal => Rarest(Original);
        public double RarestRotated => Rarest(Rotated);
    }

    /// <summary>How far GD and adam-blocks (at the same η only) stay from their original trajectories on the rotated problem: max relative loss differences.</summary>
    private sealed record Equivariance(double GdDiff, double BlocksDiff, bool SameLr);

    /// <inheritdoc/>
    public void Run(RecipeContext ctx)
    {
        var original = ProblemAt(ctx.Scale, rotated: false);
        var rotated = ProblemAt(ctx.Scale, rotated: true);
        ctx.Settings["rotate_seed"] = RotateSeed; ctx.Settings["rotated_grid_offsets_half_powers"] = RotatedOffsets;
        var pairs = Pairs(ctx, original, rotated);
        var (h0, h1) = HessianOneOneAtZero(ctx, original, rotated);
        var equivariance = Checks(ctx, pairs);
        CurveFigure(ctx, pairs);
        Summary(ctx, pairs, h0, h1);
        RatioFigure(ctx, pairs, h0, h1);
        ClaimAndReading(ctx, pairs, h0, h1, equivariance);
    }

    /// <summary>Each optimizer at its selected step size on the original problem and on the rotated one (GD at the original's η, the others by the rotated grid).</summary>
    private static List<Pair> Pairs(RecipeContext ctx, ProblemOptions original, ProblemOptions rotated)
    {
        var pairs = new List<Pair>();
        foreach (var name in Optimizers)
        {
            ctx.Cancel.ThrowIfCancellationRequested();
            var template = RecipeContext.Optimizer(name);
            var (grid, best) = ctx.Tuned(original, template);
            RunRecord rot;
            if (name == "gd")
                rot = ctx.Cache.GetOrRun(ctx.Env.Spec(rotated, template with { Lr = grid.SelectedLr }, ctx.Steps, ctx.LogEvery));
            else
            {
                var rg = GridSearch.Run(ctx.Cache, rotated, template, ctx.Steps, ctx.LogEvery, [0], lrs: RotatedGrid(grid.SelectedLr), progress: ctx.Log)!;
                ctx.RecordGrid(rg, $"ht-random/{name}/rotated", $"{name} on rotated ht-random", $"grid_rotated_{name}.csv");
                double lo = RotatedGrid(grid.SelectedLr)[0], hi = RotatedGrid(grid.SelectedLr)[^1];
                if (Math.Abs(Math.Log10(rg.BestLr / lo)) < 1e-9 || Math.Abs(Math.Log10(rg.BestLr / hi)) < 1e-9)
                    ctx.Notes.Add($"{name} on the rotated problem: the lowest final loss is at the edge of the five half-powers around the original's η (η = {rg.BestLr:G3}).");
                rot = ctx.Cache.GetOrRun(ctx.Env.Spec(rotated with { Seed = 0 }, template with { Lr = rg.SelectedLr }, ctx.Steps, ctx.LogEvery));
            }
            pairs.Add(new Pair(name, best, rot));
            ctx.Log($"rotation {name}: original η = {best.Spec.Optimizer.Lr:G3} final {best.FinalLoss:G4}, rotated η = {rot.Spec.Optimizer.Lr:G3} final {rot.FinalLoss:G4}");
        }
        return pairs;
    }

    /// <summary>‖H(W_0)‖_{1,1} before and after the rotation (exact: Kronecker form), checked against the dense Hessian where it fits (tiny scale).</summary>
    private static (double Original, double Rotated) HessianOneOneAtZero(RecipeContext ctx, ProblemOptions original, ProblemOptions rotated)
    {
        var (_, modelO) = ctx.Env.Problems.Get(original);
        var (_, modelR) = ctx.Env.Problems.Get(rotated);
        double h0 = HessianNorms.OneOneAtZero(modelO), h1 = HessianNorms.OneOneAtZero(modelR);
        ctx.Settings["hessian_one_one_method"] = "exact: 2(c − 1)/c · Σ_jl |(XᵀX/n)_jl| (Kronecker form of H at W = 0)";
        if (ctx.Tiny)
        {
            double dense0 = HessianNorms.OneOne(modelO.DenseHessian(new double[modelO.ParameterCount]));
            double dense1 = HessianNorms.OneOne(modelR.DenseHessian(new double[modelR.ParameterCount]));
            double err = Math.Max(Math.Abs(dense0 - h0) / dense0, Math.Abs(dense1 - h1) / dense1);
            ctx.Check("‖H(W_0)‖_{1,1}: Kronecker form = dense Hessian", "relative difference ≤ 1e-10 on both problems",
                $"dense {dense0:G6} / {dense1:G6}, Kronecker {h0:G6} / {h1:G6} (max relative difference {err:G3})", err <= 1e-10);
        }
        return (h0, h1);
    }

    /// <summary>The checks: GD (and adam-blocks at the same η) rotation-equivariant, and the loss at W_0 unchanged by the rotation.</summary>
    private static Equivariance Checks(RecipeContext ctx, List<Pair> pairs)
    {
        var gd = pairs.First(p => p.Optimizer == "gd");
        double gdDiff = 0;
        for (int t = 0; t < gd.Original.Rows.Count; t++)
            gdDiff = Math.Max(gdDiff, Math.Abs(gd.Original.Rows[t].Loss - gd.Rotated.Rows[t].Loss) / gd.Original.Rows[t].Loss);
        ctx.Check("GD is rotation-equivariant: the same losses on the rotated problem", "|L'_t − L_t| ≤ 1e-10·L_t at every logged step (W' = QᵀW)",
            $"max relative difference {gdDiff:G3} over {gd.Original.Rows.Count} logged steps", gdDiff <= 1e-10);
        var blocks = pairs.First(p => p.Optimizer == "adam-blocks");
        double blocksDiff = 0;
        bool sameLr = blocks.Original.Spec.Optimizer.Lr == blocks.Rotated.Spec.Optimizer.Lr;
        for (int t = 0; t < blocks.Original.Rows.Count && sameLr; t++)
            blocksDiff = Math.Max(blocksDiff, Math.Abs(blocks.Original.Rows[t].Loss - blocks.Rotated.Rows[t].Loss) / blocks.Original.Rows[t].Loss);
        if (sameLr)
            ctx.Check("adam-blocks is equivariant under input rotations", "v_k = mean_j g_jk² is a column norm of the gradient, unchanged by Qᵀ: the same losses at the same η (relative 1e-10)",
                $"max relative difference {blocksDiff:G3} over {blocks.Original.Rows.Count} logged steps", blocksDiff <= 1e-10);
        ctx.Check("the rotation preserves the loss at W_0", "L'(0) = L(0) = log c", $"{gd.Rotated.Rows[0].Loss:G12} vs {gd.Original.Rows[0].Loss:G12}",
            Math.Abs(gd.Rotated.Rows[0].Loss - gd.Original.Rows[0].Loss) <= 1e-12 * gd.Original.Rows[0].Loss);
        return new Equivariance(gdDiff, blocksDiff, sameLr);
    }

    /// <summary>Overall loss and the rarest group's loss fraction, original (solid) and rotated (dashed), and rotation.csv.</summary>
    private static void CurveFigure(RecipeContext ctx, List<Pair> pairs)
    {
        var overall = new Figure($"(a) Overall training loss, HT-Random m = {ctx.HtRandomM}", "step", "training loss (nats)", logY: true);
        var rare = new Figure("(b) Rarest group: fraction of its initial loss left", "step", "L_rarest(t) / L_rarest(0) (rarest group's loss, fraction)", logY: true);
        var rows = new List<IReadOnlyList<double>>();
        foreach (var p in pairs)
            foreach (var (rec, isRot) in new[] { (p.Original, false), (p.Rotated, true) })
            {
                var t = rec.Rows.Select(r => (double)r.Step).ToArray();
                double r0 = rec.Rows[0].GroupLosses[^1];
                string label = $"{p.Optimizer}{(isRot ? ", rotated" : "")} (η = {rec.Spec.Optimizer.Lr:G2})";
                overall.Line(t, rec.Rows.Select(r => r.Loss).ToArray(), Figure.OptimizerColor(p.Optimizer), label, dashed: isRot, width: isRot ? 2 : 3);
                rare.Line(t, rec.Rows.Select(r => r.GroupLosses[^1] / r0).ToArray(), Figure.OptimizerColor(p.Optimizer), label, dashed: isRot, width: isRot ? 2 : 3);
                foreach (var r in rec.Rows) rows.Add([Code(p.Optimizer), isRot ? 1 : 0, rec.Spec.Optimizer.Lr, r.Step, r.Loss, r.GroupLosses[^1] / r0]);
            }
        overall.LegendAlignment = ScottPlot.Alignment.LowerLeft;
        rare.LegendAlignment = ScottPlot.Alignment.LowerLeft;
        ctx.Panels(new PanelFigure([overall, rare]), "rotation", "Each optimizer on HT-Random (solid) and on the same problem with inputs rotated by a random orthogonal Q (dashed), " +
            "each at its selected step size: (a) overall loss, (b) the rarest group's loss as a fraction of its initial loss. GD's two lines coincide (it is rotation-equivariant); " +
            "the coordinate-wise methods' dashed lines lie above their solid ones where the rotation hurts them.");
        ctx.Csv("rotation.csv", ["optimizer", "rotated", "lr", "step", "loss", "rarest_group_fraction"], rows);
    }

    /// <summary>summary.csv (one row per optimizer, with ‖H(W_0)‖_{1,1} before and after) and the note on both CSVs.</summary>
    private static void Summary(RecipeContext ctx, List<Pair> pairs, double h0, double h1)
    {
        ctx.Csv("summary.csv", ["optimizer", "lr_original", "lr_rotated", "final_loss_original", "final_loss_rotated", "rarest_fraction_original", "rarest_fraction_rotated",
                "hessian_one_one_original", "hessian_one_one_rotated"],
            pairs.Select(p => (IReadOnlyList<double>)[Code(p.Optimizer), p.Original.Spec.Optimizer.Lr, p.Rotated.Spec.Optimizer.Lr, p.Original.FinalLoss, p.Rotated.FinalLoss,
                p.RarestOriginal, p.RarestRotated, h0, h1]));
        ctx.Notes.Add("rotation.csv, summary.csv: optimizer 0 = gd, 1 = adam, 2 = sign, 3 = adam-blocks; rotated 1 = inputs X·Q (Q seeded, Haar); " +
                      "hessian_one_one = ‖H(W_0)‖_{1,1} = Σ|H_ij| (exact, by the Kronecker form of H at W = 0).");
    }

    /// <summary>Each optimizer's final loss after the rotation relative to before, as bars.</summary>
    private static void RatioFigure(RecipeContext ctx, List<Pair> pairs, double h0, double h1)
    {
        var bars = new Figure("Final loss after the rotation relative to before", "optimizer (each at its selected step size)", "L_rotated(T) / L_original(T)");
        bars.Plot.Add.Bars(pairs.Select((p, i) => new ScottPlot.Bar
        {
            Position = i, ValueBase = 0, Value = p.Rotated.FinalLoss / p.Original.FinalLoss, FillColor = Figure.OptimizerColor(p.Optimizer),
        }).ToList());
        bars.Plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, pairs.Count).Select(i => (double)i).ToArray(), pairs.Select(p => p.Optimizer).ToArray());
        bars.YLimits = (0, 1.3 * Math.Max(1, pairs.Max(p => p.Rotated.FinalLoss / p.Original.FinalLoss)));
        bars.Line([-0.5, pairs.Count - 0.5], [1, 1], ScottPlot.Colors.Gray, "no change", dashed: true, width: 1);
        bars.LegendAlignment = ScottPlot.Alignment.UpperLeft;
        ctx.Figure(bars, "final_loss_ratio", "How much the rotation multiplies each optimizer's final loss (the dashed line is 1 = unchanged: GD's bar ends on it). " +
            $"‖H(W_0)‖_{{1,1}} goes from {h0:G4} to {h1:G4} under the same rotation.");
    }

    /// <summary>The claim (the rotation raises Adam's final loss and rarest fraction, not GD's final loss) and the reading.</summary>
    private static void ClaimAndReading(RecipeContext ctx, List<Pair> pairs, double h0, double h1, Equivariance equivariance)
    {
        var (gdDiff, blocksDiff, sameLr) = equivariance;
        var gd = pairs.First(p => p.Optimizer == "gd");
        var adam = pairs.First(p => p.Optimizer == "adam");
        bool adamHurt = adam.Rotated.FinalLoss > adam.Original.FinalLoss && adam.RarestRotated > adam.RarestOriginal;
        double gdRel = Math.Abs(gd.Rotated.FinalLoss - gd.Original.FinalLoss) / gd.Original.FinalLoss;
        bool holds = adamHurt && gdRel <= 1e-6;
        ctx.Claim("Xie et al.: rotating the parameter space hurts Adam and not GD",
            "the rotation raises Adam's final loss and its rarest group's loss fraction, while GD's final loss is unchanged (relative change ≤ 1e-6)",
            $"Adam {adam.Original.FinalLoss:G4} → {adam.Rotated.FinalLoss:G4} (rarest group {adam.RarestOriginal:P1} → {adam.RarestRotated:P1}); " +
            $"GD {gd.Original.FinalLoss:G6} → {gd.Rotated.FinalLoss:G6} (relative change {gdRel:G2})", holds);
        string Others(string n) { var p = pairs.First(x => x.Optimizer == n); return $"{n} {p.Original.FinalLoss:G3} → {p.Rotated.FinalLoss:G3} (rarest {p.RarestOriginal:P1} → {p.RarestRotated:P1})"; }
        ctx.Reading = $"Rotating HT-Random's inputs by a random orthogonal Q takes Adam's final loss from {adam.Original.FinalLoss:G3} to {adam.Rotated.FinalLoss:G3} and its rarest group's remaining loss " +
                      $"from {adam.RarestOriginal:P1} to {adam.RarestRotated:P1}, while GD's trajectory is the same to {gdDiff:G2} relative, " +
                      (holds ? "so the claim holds: Adam's advantage is tied to the coordinate basis and GD's progress is not. "
                             : "so the claim does not hold here: " + (adamHurt ? "GD's final loss changed. " : "the rotation does not raise both Adam's final loss and its rarest group's fraction. ")) +
                      $"{Others("sign")}; {Others("adam-blocks")}, " + (sameLr ? $"unchanged to {blocksDiff:G2} relative, since it is" : "at another η on the rotated problem, though it is") + $" as equivariant as GD under a rotation of the inputs (its one second moment per class column is a column norm of the gradient, which Qᵀ keeps); the Hessian's ℓ(1,1) norm at W_0 goes from {h0:G4} to {h1:G4} " +
                      (Math.Sign(h1 - h0) == Math.Sign(adam.Rotated.FinalLoss - adam.Original.FinalLoss)
                          ? $"({(h1 > h0 ? "larger" : "smaller")} in the rotated basis, and Adam's loss moves the same way, as Xie et al.'s ℓ∞-smoothness bound, which grows with it, expects" +
                            (h1 < h0 ? ": in the original basis the uniform inputs' shared mean, ½ on every coordinate, is a dense direction of XᵀX/n, which the rotation turns into one of uneven coordinates)." : ").")
                          : $"({(h1 > h0 ? "larger" : "smaller")} in the rotated basis while Adam's loss moves the other way, so here the (1,1) norm does not predict the change).");
    }
}
