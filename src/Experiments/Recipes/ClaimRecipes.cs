using System.Globalization;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Statistics;
using HeavyTail.Analytic.Theory;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Recipes;

/// <summary>
/// Kunstner &amp; Bach 2025, "Scaling Laws for Gradient Descent and Sign Descent for Linear Bigram Models under Zipf's Law"
/// (arXiv 2505.19227): the iterations GD and sign descent need to reach a relative error ε on the linear bigram model
/// (<see cref="Problems.Bigram"/>) as the vocabulary d grows, for Zipf exponents α ∈ {0.5, 1, 1.5}.
/// </summary>
/// <remarks>
/// Iterations come from the closed forms of <see cref="BigramTheory"/> (exact: the Hessian is diagonal), so d reaches 2^12
/// at small scale in well under a second; the closed forms are checked against the toolkit's own GD and sign-descent runs
/// on the bigram problem (through the run cache) at one d, and by property tests (tests/Analytic.Tests/BigramTests.cs).
/// Choices where the paper leaves the experiment to us: ε = <see cref="Epsilon"/>; GD's constant step size is the best of
/// η = θ·2/π_1 with θ = 1 − 10^(−x), x = 0.05 … 5 (100 values, all below 2/π_1, GD's stability limit on coordinate 1);
/// sign descent's is the best constant step size for each (d, α, ε) on a log grid η = p_1·10^(−4 + j/16), j = 0 … 64
/// (16 per decade; a constant step, not a schedule); a constant-step sign descent oscillates by ±η around each target, so
/// the best η shrinks with d and ε. Slopes: least squares of log₂ iterations on log₂ d over all d of the scale.
/// </remarks>
public sealed class ScalingLawsRecipe : IRecipe
{
    /// <inheritdoc/>
    public string Name => "scaling-laws";
    /// <inheritdoc/>
    public string Description => "Kunstner & Bach 2025 (arXiv 2505.19227, Section 2: the linear bigram model and GD's closed form): iterations until the relative error stays below ε = 0.01 " +
                                  "for GD and sign descent on the bigram problem (population squared loss, Zipf marginals and conditionals, α ∈ {0.5, 1, 1.5}) vs the vocabulary d, " +
                                  "each at its best constant step size from a grid (GD: η = θ·2/π_1; sign: p_1·10^(−4 + j/16); no schedule); claim: at α = 1 GD's slope is ≈ 1 and sign descent's ≈ ½.";

    /// <summary>The Zipf exponents α of the bigram problem's marginals and conditionals: 0.5, 1, 1.5.</summary>
    public static readonly double[] Alphas = [0.5, 1.0, 1.5];

    /// <summary>The relative error (L_t − L*)/(L_0 − L*) to reach: 1 % (the paper asks for "a small relative error").</summary>
    public const double Epsilon = 0.01;

    /// <summary>Vocabulary sizes: 2^4 … 2^9 (tiny), 2^6 … 2^12 (small), 2^6 … 2^16 (paper).</summary>
    public static int[] VocabsAt(Scale s)
    {
        var (lo, hi) = s == Scale.Tiny ? (4, 9) : s == Scale.Small ? (6, 12) : (6, 16);
        return Enumerable.Range(lo, hi - lo + 1).Select(k => 1 << k).ToArray();
    }

    /// <summary>The d at which the closed forms are overlaid on the toolkit's simulated runs (α = 1).</summary>
    public static int OverlayVocabAt(Scale s) => s == Scale.Tiny ? 1 << 5 : s == Scale.Small ? 1 << 7 : 1 << 8;

    /// <summary>The simulated runs (GD and sign descent at their best step sizes for α = 1, ε, d = <see cref="OverlayVocabAt"/>) with their step budgets.</summary>
    public static IReadOnlyList<(ProblemOptions Problem, OptimizerSettings Settings, int Steps)> OverlayRuns(Scale s)
    {
        var problem = new ProblemOptions { Name = "bigram", Vocab = OverlayVocabAt(s), ZipfExponent = 1.0 };
        var p = Problems.ZipfProbabilities(problem.Vocab!.Value, 1.0);
        var gd = BigramTheory.BestGd(p, Epsilon);
        var sign = BigramTheory.BestSign(p, Epsilon, stay: true);
        // a little past the first hit, so the figure shows where each curve goes after crossing ε
        return [(problem, RecipeContext.Optimizer("gd") with { Lr = gd.Eta }, (int)(1.5 * gd.Steps) + 2),
                (problem, RecipeContext.Optimizer("sign") with { Lr = sign.Eta }, (int)(1.5 * sign.Steps) + 2)];
    }

    private static int Code(string optimizer) => optimizer switch { "gd" => 0, "sign" => 1, _ => 2 };

    private sealed record Point(double Alpha, int D, string Optimizer, double Lr, int Iterations, bool AtEdge);

    /// <summary>Least-squares slope of log₂ y on log₂ x.</summary>
    public static double Slope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var lx = x.Select(Math.Log2).ToArray(); var ly = y.Select(Math.Log2).ToArray();
        double mx = lx.Average(), my = ly.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < lx.Length; i++) { sxy += (lx[i] - mx) * (ly[i] - my); sxx += (lx[i] - mx) * (lx[i] - mx); }
        return sxy / sxx;
    }

    /// <inheritdoc/>
    public void Run(RecipeContext ctx)
    {
        var vocabs = VocabsAt(ctx.Scale);
        ctx.Settings["epsilon"] = Epsilon; ctx.Settings["vocabs"] = vocabs; ctx.Settings["alphas"] = Alphas;
        var points = Points(ctx, vocabs);
        PointTable(ctx, points);
        var slopes = Slopes(points);
        ScalingFigure(ctx, points, slopes);
        ctx.Csv("slopes.csv", ["alpha", "optimizer", "slope"], slopes.Select(kv => (IReadOnlyList<double>)[kv.Key.Item1, Code(kv.Key.Item2), kv.Value]));

        Overlay(ctx);

        ClaimAndReading(ctx, vocabs, points, slopes);
    }

    /// <summary>GD's and sign descent's (stay below ε, first hit of ε) best step sizes and iterations for every (α, d), from the closed forms.</summary>
    private static List<Point> Points(RecipeContext ctx, int[] vocabs)
    {
        var points = new List<Point>();
        foreach (double a in Alphas)
            foreach (int d in vocabs)
            {
                ctx.Cancel.ThrowIfCancellationRequested();
                var p = Problems.ZipfProbabilities(d, a);
                var gd = BigramTheory.BestGd(p, Epsilon);
                var sign = BigramTheory.BestSign(p, Epsilon, stay: true);
                var first = BigramTheory.BestSign(p, Epsilon, stay: false);
                points.Add(new Point(a, d, "gd", gd.Eta, gd.Steps, gd.AtEdge));
                points.Add(new Point(a, d, "sign", sign.Eta, sign.Steps, sign.AtEdge));
                points.Add(new Point(a, d, "sign-first", first.Eta, first.Steps, first.AtEdge));
                ctx.Log($"α={a:G2} d={d}: gd {gd.Steps} steps (η = {gd.Eta:G3}), sign {sign.Steps} steps to stay below ε (η = {sign.Eta:G3}), {first.Steps} to first reach it (η = {first.Eta:G3})");
            }
        return points;
    }

    /// <summary>scaling.csv and its notes (step sizes at the edge of their grid included).</summary>
    private static void PointTable(RecipeContext ctx, List<Point> points)
    {
        ctx.Csv("scaling.csv", ["alpha", "d", "optimizer", "lr", "epsilon", "iterations"],
            points.Select(q => (IReadOnlyList<double>)[q.Alpha, q.D, Code(q.Optimizer), q.Lr, Epsilon, q.Iterations]));
        ctx.Notes.Add("scaling.csv: optimizer 0 = gd, 1 = sign descent (iterations after which the relative error stays ≤ ε: the claim's count), " +
                      "2 = sign descent (first step with relative error ≤ ε); lr is the best constant step size on the recipe's grid for that count. " +
                      "For GD (monotone) the two counts coincide.");
        foreach (var q in points.Where(q => q.AtEdge))
            ctx.Notes.Add($"{q.Optimizer} at α = {q.Alpha:G2}, d = {q.D}: the best step size η = {q.Lr:G3} is at the edge of its grid.");
    }

    /// <summary>The least-squares slope of log₂ iterations on log₂ d for every (α, count: gd, sign, sign-first).</summary>
    private static Dictionary<(double, string), double> Slopes(List<Point> points)
    {
        var slopes = new Dictionary<(double, string), double>();
        for (int ai = 0; ai < Alphas.Length; ai++)
            foreach (var opt in new[] { "gd", "sign", "sign-first" })
            {
                var q = points.Where(x => x.Alpha == Alphas[ai] && x.Optimizer == opt).OrderBy(x => x.D).ToList();
                slopes[(Alphas[ai], opt)] = Slope(q.Select(x => (double)x.D).ToArray(), q.Select(x => (double)x.Iterations).ToArray());
            }
        return slopes;
    }

    /// <summary>Iterations against d (log-log), one colour per α, each line labelled with its slope.</summary>
    private static void ScalingFigure(RecipeContext ctx, List<Point> points, Dictionary<(double, string), double> slopes)
    {
        var fig = new Figure($"Iterations to relative error ε = {Epsilon:G2} on the linear bigram model (closed forms, best constant step sizes)",
            "vocabulary size d (tokens)", "iterations until (L_t − L*)/(L_0 − L*) stays ≤ ε", logX: true, logY: true);
        for (int ai = 0; ai < Alphas.Length; ai++)
            foreach (var opt in new[] { "gd", "sign", "sign-first" })
            {
                var q = points.Where(x => x.Alpha == Alphas[ai] && x.Optimizer == opt).OrderBy(x => x.D).ToList();
                double s = slopes[(Alphas[ai], opt)];
                var color = Figure.GroupColor(ai, Alphas.Length);
                var xs = q.Select(x => (double)x.D).ToArray(); var ys = q.Select(x => (double)x.Iterations).ToArray();
                if (opt == "sign-first")
                {
                    // the first-hit count only at α = 1, as hollow-looking grey markers: it is the parity artifact discussed in the reading
                    if (Alphas[ai] == 1) fig.Line(xs, ys, ScottPlot.Colors.Gray, $"sign descent, α = 1, first hit of ε (not the claim's count): slope {s:F2}", markers: true);
                    continue;
                }
                fig.Line(xs, ys, color, $"{(opt == "gd" ? "GD" : "sign descent")}, α = {Alphas[ai]:G2}: slope {s:F2}", dashed: opt == "sign");
                fig.Line(xs, ys, color, markers: true);
            }
        fig.LegendAlignment = ScottPlot.Alignment.UpperLeft;
        ctx.Figure(fig, "scaling", $"Iterations GD (solid) and sign descent (dashed) need to bring the relative error below ε = {Epsilon:G2} for good, against the vocabulary size (log-log; " +
            "colour = Zipf exponent α, markers = measured d); the legend gives each line's least-squares slope, the exponent of the scaling law. Grey markers: the first step at which sign descent touches ε at α = 1.");
    }

    /// <summary>The check at the largest d, the claim on the α = 1 slopes and the reading.</summary>
    private static void ClaimAndReading(RecipeContext ctx, int[] vocabs, List<Point> points, Dictionary<(double, string), double> slopes)
    {
        int dMax = vocabs[^1];
        var atMax = points.Where(q => q.Alpha == 1 && q.D == dMax).ToDictionary(q => q.Optimizer);
        ctx.Check($"α = 1, d = {dMax}: sign descent needs fewer iterations than GD", "sign < GD (the paper's large-vocabulary advantage)",
            $"sign {atMax["sign"].Iterations}, GD {atMax["gd"].Iterations}", atMax["sign"].Iterations < atMax["gd"].Iterations);
        double sg = slopes[(1.0, "gd")], ss = slopes[(1.0, "sign")];
        bool holds = Math.Abs(sg - 1) <= 0.2 && Math.Abs(ss - 0.5) <= 0.15;
        ctx.Claim("Kunstner & Bach: at α = 1, GD's iterations grow almost linearly in d and sign descent's like √d",
            "fitted slope of log iterations vs log d at α = 1: GD within 0.2 of 1 and sign descent within 0.15 of ½",
            $"GD {sg:F2}, sign descent {ss:F2} (d = {vocabs[0]} … {dMax}, ε = {Epsilon:G2})", holds);
        double sf = slopes[(1.0, "sign-first")];
        string others = string.Join("; ", Alphas.Where(a => a != 1).Select(a => $"α = {a:G2}: GD {slopes[(a, "gd")]:F2}, sign {slopes[(a, "sign")]:F2}"));
        ctx.Reading = $"At α = 1 the iterations to stay below ε = {Epsilon:G2} grow like d^{sg:F2} under GD ({points.First(q => q.Alpha == 1 && q.Optimizer == "gd").Iterations} → {atMax["gd"].Iterations} " +
                      $"from d = {vocabs[0]} to {dMax}) and like d^{ss:F2} under sign descent ({points.First(q => q.Alpha == 1 && q.Optimizer == "sign").Iterations} → {atMax["sign"].Iterations}), " +
                      (holds ? "so the claim holds: GD's cost is almost linear in the vocabulary and sign descent's close to its square root (other exponents: "
                             : "so the claim does not hold at this scale: the slopes are not within 0.2 of 1 and 0.15 of ½ respectively (other exponents: ") + others + "). " +
                      $"Counting instead the first step at which sign descent touches ε gives slope {sf:F2}, because from W = 0 a constant step sends every coordinate whose target is below η " +
                      "back to 0 at each even step, so the error touches ε long before the ±η oscillation of all d² coordinates lets it stay there.";
    }

    /// <summary>The closed-form curves over the toolkit's simulated GD and sign-descent runs on the bigram problem (α = 1, one d).</summary>
    private static void Overlay(RecipeContext ctx)
    {
        var runs = OverlayRuns(ctx.Scale);
        int d = runs[0].Problem.Vocab!.Value;
        var (problem, model) = ctx.Env.Problems.Get(runs[0].Problem);
        var marginals = model.Data.ClassMass.ToArray();
        var conditionals = Problems.ZipfProbabilities(d, 1.0);
        double squaredMass = BigramTheory.SquaredMass(conditionals);
        double l0 = 0.5 * squaredMass;
        var fig = new Figure($"Bigram model, d = {d}, α = 1: simulated runs (thick) and closed forms (dashed)", "iteration t", "relative error (L_t − L*)/(L_0 − L*)",
            logX: true, logY: true);
        var rows = new List<IReadOnlyList<double>>();
        // Hessian diagonal: π_i on every entry of row i (the model's exact Curvature)
        var diag = new double[model.ParameterCount];
        model.Curvature(new double[model.ParameterCount], diag, null);
        double diagErr = 0;
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) diagErr = Math.Max(diagErr, Math.Abs(diag[i * d + j] - marginals[i]));
        ctx.Check("bigram Hessian is π_i on row i", "diag H = π_i for every W_ij (exact: the toolkit's squared-loss curvature)", $"max |diag H − π_i| = {diagErr:G3}", diagErr <= 1e-15);
        for (int r = 0; r < runs.Count; r++)
        {
            var (opts, settings, steps) = runs[r];
            var rec = ctx.Cache.GetOrRun(ctx.Env.Spec(opts, settings, steps, Math.Max(1, steps / 200)));
            string name = settings.Name;
            Func<int, double> closed = name == "gd" ? t => BigramTheory.GdLoss(marginals, squaredMass, settings.Lr, t) : t => BigramTheory.SignLoss(conditionals, settings.Lr, t);
            double worst = 0;
            foreach (var row in rec.Rows)
            {
                double cf = closed(row.Step);
                worst = Math.Max(worst, Math.Abs(row.Loss - cf) / l0);
                rows.Add([r, settings.Lr, row.Step, row.Loss / l0, cf / l0]);
            }
            var t = rec.Rows.Where(x => x.Step > 0).Select(x => (double)x.Step).ToArray();
            string label = name == "gd" ? "GD" : "sign descent";
            fig.Line(t, rec.Rows.Where(x => x.Step > 0).Select(x => x.Loss / l0).ToArray(), Figure.OptimizerColor(name), $"{label} (η = {settings.Lr:G3}), simulated", width: 5);
            var tc = Enumerable.Range(1, steps).Select(x => (double)x).ToArray();
            fig.Line(tc, tc.Select(x => closed((int)x) / l0).ToArray(), ScottPlot.Colors.OrangeRed, r == 0 ? "closed forms (BigramTheory)" : null, dashed: true, width: 2);
            ctx.Check($"{label}: simulated loss = closed form", "|L_sim(t) − L_closed(t)| ≤ 1e-9·L_0 at every logged step",
                $"max difference {worst:G3}·L_0 over {rec.Rows.Count} logged steps", worst <= 1e-9);
        }
        fig.Line([1, runs.Max(x => x.Steps)], [Epsilon, Epsilon], ScottPlot.Colors.Gray, $"ε = {Epsilon:G2}", dashed: true, width: 1);
        fig.LegendAlignment = ScottPlot.Alignment.LowerLeft;
        ctx.Figure(fig, "closed_form_overlay", $"The toolkit's GD and sign-descent runs on the bigram problem (d = {d}, α = 1, each at the best constant step size for ε = {Epsilon:G2}) " +
            "and the closed forms (dashed orange) on top of them; sign descent's curve ends in a period-2 oscillation of ±η around each target.");
        ctx.Csv("closed_form_overlay.csv", ["run", "lr", "step", "simulated_relative_error", "closed_form_relative_error"], rows);
        ctx.Notes.Add("closed_form_overlay.csv: run 0 = gd, 1 = sign descent.");
    }
}

/// <summary>
/// Zhang et al. 2024, "Why Transformers Need Adam: A Hessian Perspective" (arXiv 2402.16788): block heterogeneity, JS⁰ — the
/// average Jensen–Shannon divergence between the SLQ spectral densities of the Hessian's diagonal blocks at initialisation —
/// against Adam's advantage over GD, on the linear softmax model of the one-hot problem (the population model: c classes,
/// π_k ∝ (k+1)^(−a), x = e_k) over a sweep of the exponent a. The blocks are the per-class blocks H_kk (c×c, diagonal here:
/// diag_i π_i p_ik(1 − p_ik)). Why one-hot and not the Gaussian-input zipf problem: with n &gt; d·c that problem cannot be fitted
/// (its labels are independent of its inputs) and every optimizer stays at log c, so there is no gap to explain.
/// </summary>
/// <remarks>
/// JS⁰ as <see cref="BlockHeterogeneity"/> computes it (the authors' σ = √1e-5 and 50 000-point grid with margin 1; JS with
/// natural logs on one common grid; the same probes for every block). At W = 0 every p_ik = 1/c, so
/// H_kk = (1/c)(1 − 1/c) Σ_i w_i x_i x_iᵀ is the same matrix for every class whatever the imbalance: JS⁰(W_0) = 0 by
/// construction, while the GD–Adam gap is not. The recipe measures JS⁰ at W_0 and at T/4, T/2, T along the grid-selected GD
/// and Adam runs (one data seed: the sweep's runs are retrained with an observer for W, outside the run cache), and the gap
/// L_GD(T) − L_Adam(T) at the selected step sizes.
/// </remarks>
public sealed class BlockHeterogeneityRecipe : IRecipe
{
    /// <inheritdoc/>
    public string Name => "block-heterogeneity";
    /// <inheritdoc/>
    public string Description => "Zhang et al. 2024 (arXiv 2402.16788; smoothing σ = √1e-5 and 50 000-point grid from their code, github.com/zyushun/hessian-spectrum language_models/hessian_spectrum.py): " +
                                  "JS⁰ between the SLQ spectral densities of the per-class Hessian blocks, " +
                                  "at W_0 and along the selected GD and Adam runs, against the GD–Adam final-loss gap, over a Zipf-exponent sweep a ∈ {0, 0.5, 1, 1.5, 2} (linear softmax model on one-hot inputs).";

    /// <summary>The Zipf exponents a of the sweep: 0, 0.5, 1, 1.5, 2.</summary>
    public static readonly double[] Exponents = [0, 0.5, 1, 1.5, 2];

    /// <summary>Classes of the one-hot problem of the sweep: 10 (tiny), 20 (small), 100 (paper), as in heterogeneity's sweep (JS⁰ compares c² pairs of 50 000-point densities).</summary>
    public static int ClassesAt(Scale s) => s == Scale.Tiny ? 10 : s == Scale.Small ? 20 : 100;

    /// <summary>The one-hot problem of the sweep at scale <paramref name="s"/> with Zipf exponent <paramref name="a"/> (<see cref="ClassesAt"/> classes).</summary>
    public static ProblemOptions ProblemAt(Scale s, double a) => new() { Name = "one-hot", Classes = ClassesAt(s), ZipfExponent = a };

    /// <summary>SLQ per block: runs × steps with steps = d = c, so each probe's quadrature is the exact spectral measure it sees.</summary>
    public static (int Runs, int Steps) SlqAt(Scale s) => (2, ClassesAt(s));

    /// <summary>The logged steps at which JS⁰ is measured along a run: 0, T/4, T/2, T.</summary>
    public static int[] CheckpointsAt(Scale s) { int t = RecipeContext.StepsAt(s); return [0, t / 4, t / 2, t]; }

    private sealed class Js0Observer(Analytic.Models.LinearModel model, int runs, int steps) : Ode.Training.ITrainingObserver
    {
        public List<Js0Row> Rows { get; } = new();

        public void Observe(int run, int step, double loss, Ode.Training.IStepper stepper)
        {
            var (js0, relative, dens) = Analytic.Statistics.BlockHeterogeneity.Both(model, stepper.Weights(run), runs, steps, seed: 0);
            Rows.Add(new Js0Row(step, loss, js0, relative, dens));
        }
    }

    private sealed record Js0Row(int Step, double Loss, double Js0, double RelativeJs0, Analytic.Statistics.BlockHeterogeneity.BlockDensities Densities);

    private sealed record SweepRow(double A, double GdLr, double AdamLr, double GdLoss, double AdamLoss, double InitialLoss, List<Js0Row> Gd, List<Js0Row> Adam)
    {
        public double Gap => GdLoss - AdamLoss;
        public double Js0AtInit => Gd[0].Js0;
    }

    /// <inheritdoc/>
    public void Run(RecipeContext ctx)
    {
        var rows = Sweep(ctx);
        int c = ClassesAt(ctx.Scale);
        Tables(ctx, rows);
        AlongTrainingFigure(ctx, rows, c);
        GapFigure(ctx, rows);
        BlockDensities(ctx, rows, c);
        ClaimsAndReading(ctx, rows);
    }

    /// <summary>For every exponent a: GD and Adam at their grid-selected step sizes, retrained with a JS⁰ observer at the checkpoints.</summary>
    private static List<SweepRow> Sweep(RecipeContext ctx)
    {
        var (runs, steps) = SlqAt(ctx.Scale);
        var checkpoints = CheckpointsAt(ctx.Scale);
        ctx.Settings["slq_runs"] = runs; ctx.Settings["slq_steps"] = steps; ctx.Settings["sigma"] = Analytic.Statistics.BlockHeterogeneity.PaperSigma;
        ctx.Settings["grid_points"] = Analytic.Statistics.BlockHeterogeneity.PaperGridPoints;
        var rows = new List<SweepRow>();
        foreach (double a in Exponents)
        {
            var options = ProblemAt(ctx.Scale, a);
            var (problem, _) = ctx.Env.Problems.Get(options);
            var traces = new Dictionary<string, (double Lr, double Final, List<Js0Row> Rows)>();
            foreach (var name in new[] { "gd", "adam" })
            {
                // the one-hot model has no randomness: one data seed
                var (grid, best) = ctx.Tuned(options, RecipeContext.Optimizer(name), label: $"a={a:G2}", seeds: [0]);
                var settings = RecipeContext.Optimizer(name) with { Lr = grid.SelectedLr };
                // a model of its own for the Hessian products (the stepper's model keeps its buffers)
                var probe = Analytic.Models.LinearModel.Create(problem.Loss, problem.Data, ctx.Env.Compute);
                var stepperModel = Analytic.Models.LinearModel.Create(problem.Loss, problem.Data, ctx.Env.Compute);
                var observer = new Js0Observer(probe, runs, steps);
                Ode.Training.TrainingLoop.RunOne(new Ode.Training.LinearModelStepper(stepperModel, settings.Create(stepperModel), problem.Groups),
                    Ode.Training.TrainingSchedule.AtSteps(checkpoints), [observer], cancel: ctx.Cancel);
                traces[name] = (grid.SelectedLr, best.FinalLoss, observer.Rows);
                ctx.Log($"block-heterogeneity a={a:G2} {name} (η = {grid.SelectedLr:G3}): JS⁰ " + string.Join(", ", observer.Rows.Select(r => $"t={r.Step}: {r.Js0:G3}")) + $", final loss {best.FinalLoss:G4}");
            }
            rows.Add(new SweepRow(a, traces["gd"].Lr, traces["adam"].Lr, traces["gd"].Final, traces["adam"].Final, Math.Log(problem.Data.C), traces["gd"].Rows, traces["adam"].Rows));
        }
        return rows;
    }

    /// <summary>js0.csv (JS⁰ along every selected run) and sweep.csv (one row per exponent), with their note.</summary>
    private static void Tables(RecipeContext ctx, List<SweepRow> rows)
    {
        ctx.Csv("js0.csv", ["zipf_exponent", "optimizer", "lr", "step", "loss", "js0", "js0_relative_sigma"],
            rows.SelectMany(r => new[] { (0, r.GdLr, r.Gd), (1, r.AdamLr, r.Adam) }.SelectMany(o => o.Item3.Select(x => (IReadOnlyList<double>)[r.A, o.Item1, o.Item2, x.Step, x.Loss, x.Js0, x.RelativeJs0]))));
        ctx.Csv("sweep.csv", ["zipf_exponent", "gd_lr", "adam_lr", "gd_final_loss", "adam_final_loss", "gap", "relative_gap", "js0_w0", "js0_gd_end", "js0_adam_end",
                "js0_relative_sigma_w0", "js0_relative_sigma_gd_end", "js0_relative_sigma_adam_end"],
            rows.Select(r => (IReadOnlyList<double>)[r.A, r.GdLr, r.AdamLr, r.GdLoss, r.AdamLoss, r.Gap, r.Gap / r.InitialLoss, r.Js0AtInit, r.Gd[^1].Js0, r.Adam[^1].Js0,
                r.Gd[0].RelativeJs0, r.Gd[^1].RelativeJs0, r.Adam[^1].RelativeJs0]));
        ctx.Notes.Add("js0.csv: optimizer 0 = gd, 1 = adam (each at its grid-selected step size); js0 at the logged steps 0, T/4, T/2, T with the paper's σ = √1e-5; " +
                      "js0_relative_sigma with σ = 1 % of the span of the state's Ritz values (scale-free, not the paper's).");
    }

    /// <summary>JS⁰ at the checkpoints of the selected GD and Adam runs, one colour per exponent.</summary>
    private static void AlongTrainingFigure(RecipeContext ctx, List<SweepRow> rows, int c)
    {
        var along = new Figure($"JS⁰ of the class blocks along training (one-hot model, c = {c})", "step", "JS⁰ (nats)");
        for (int i = 0; i < rows.Count; i++)
        {
            var color = Figure.GroupColor(i, rows.Count);
            along.Line(rows[i].Gd.Select(x => (double)x.Step).ToArray(), rows[i].Gd.Select(x => x.Js0).ToArray(), color, $"GD, a = {rows[i].A:G2}");
            along.Line(rows[i].Adam.Select(x => (double)x.Step).ToArray(), rows[i].Adam.Select(x => x.Js0).ToArray(), color, $"Adam, a = {rows[i].A:G2}", dashed: true);
            along.Line(rows[i].Gd.Concat(rows[i].Adam).Select(x => (double)x.Step).ToArray(), rows[i].Gd.Concat(rows[i].Adam).Select(x => x.Js0).ToArray(), color, markers: true);
        }
        along.LegendAlignment = ScottPlot.Alignment.UpperRight;
        ctx.Figure(along, "js0_along_training", "JS⁰ (average pairwise Jensen–Shannon divergence of the class blocks' spectral densities) at steps 0, T/4, T/2 and T of the selected GD (solid) " +
            "and Adam (dashed) runs, one colour per Zipf exponent a: 0 at W = 0 for every a, where every class block is the same matrix; Adam's lines lie on 0 throughout " +
            "(it fits every class, so all its blocks shrink to 0 together), GD's rise and fall again as its blocks shrink below the smoothing width σ = √1e-5.");
    }

    /// <summary>(a) the GD–Adam final-loss gap and (b) JS⁰ at W_0 and at the end of each run, against the exponent.</summary>
    private static void GapFigure(RecipeContext ctx, List<SweepRow> rows)
    {
        var xs = rows.Select(r => r.A).ToArray();
        var gapPanel = new Figure($"(a) GD–Adam final-loss gap, T = {ctx.Steps}", "Zipf exponent a", "L_GD(T) − L_Adam(T) (nats)");
        gapPanel.Line(xs, rows.Select(r => r.Gap).ToArray(), ScottPlot.Colors.Black, "gap at the selected step sizes");
        gapPanel.Line(xs, rows.Select(r => r.Gap).ToArray(), ScottPlot.Colors.Black, markers: true);
        gapPanel.LegendAlignment = ScottPlot.Alignment.UpperLeft;
        var jsPanel = new Figure("(b) JS⁰ of the class blocks", "Zipf exponent a", "JS⁰ (nats, log scale)", logY: true);
        void Js(Func<SweepRow, double> pick, ScottPlot.Color color, string label, bool dashed = false)
        {
            jsPanel.Line(xs, rows.Select(pick).ToArray(), color, label, dashed: dashed);
            jsPanel.Line(xs, rows.Select(pick).ToArray(), color, markers: true);
        }
        Js(r => r.Js0AtInit, ScottPlot.Colors.Gray, "at W_0 (Zhang et al.'s JS⁰; exact 0 not drawn)");
        Js(r => r.Gd[^1].Js0, Figure.OptimizerColor("gd"), "end of GD, σ = √1e-5");
        Js(r => r.Adam[^1].Js0, Figure.OptimizerColor("adam"), "end of Adam, σ = √1e-5");
        Js(r => r.Gd[^1].RelativeJs0, Figure.OptimizerColor("gd"), "end of GD, σ = 1 % of the spectrum", dashed: true);
        Js(r => r.Adam[^1].RelativeJs0, Figure.OptimizerColor("adam"), "end of Adam, σ = 1 % of the spectrum", dashed: true);
        jsPanel.YLimits = (1e-20, 1e4);
        jsPanel.LegendAlignment = ScottPlot.Alignment.UpperLeft;
        ctx.Panels(new PanelFigure([gapPanel, jsPanel]), "gap_vs_js0", "(a) How much lower Adam's final loss is than GD's, per Zipf exponent; (b) JS⁰ of the class blocks at W_0 (grey: " +
            "rounding level, 1e-18, or exactly 0), at the end of GD and of Adam, with the paper's smoothing (solid) and a scale-free one (dashed). Zhang et al.'s claim needs the grey line to rise with the gap in (a).");
    }

    /// <summary>
    /// The densities behind the numbers: the most frequent, median and rarest class at the end of GD for the largest
    /// exponent, and the one density of every block at W_0 (figure and block_densities.csv).
    /// </summary>
    private static void BlockDensities(RecipeContext ctx, List<SweepRow> rows, int c)
    {
        var last = rows[^1];
        var dens = last.Gd[^1].Densities;
        int[] picks = [0, c / 2, c - 1];
        var densFig = new Figure($"Spectral densities of class blocks H_kk after GD (a = {last.A:G2}, step {last.Gd[^1].Step}) and at W_0", "eigenvalue λ of H_kk", "density (per unit eigenvalue)");
        var d0 = last.Gd[0].Densities;
        var curves = picks.Select(k => (dens.Grid, dens.Density[k])).Append((d0.Grid, d0.Density[0])).ToList();
        var (xlo, xhi) = VisibleRange(curves);
        var classMass = ctx.Env.Problems.Get(ProblemAt(ctx.Scale, last.A)).Item1.Data.ClassMass;
        for (int i = 0; i < picks.Length; i++)
        {
            var (x, y) = Window(dens.Grid, dens.Density[picks[i]], xlo, xhi);
            densFig.Line(x, y, Figure.GroupColor(i, picks.Length), $"class {picks[i]} (π = {classMass[picks[i]]:G2}), after GD", width: 1.5f);
        }
        var (x0, y0) = Window(d0.Grid, d0.Density[0], xlo, xhi);
        densFig.Line(x0, y0, ScottPlot.Colors.Gray, "every class at W_0 (identical)", dashed: true, width: 1.5f);
        ctx.Figure(densFig, "block_densities", "The smoothed SLQ densities whose pairwise JS divergences make up JS⁰: three class blocks after GD at the largest exponent " +
            "(frequent to rare) and, dashed, the one density every block has at W_0.");
        var table = new List<IReadOnlyList<double>>();
        double h0 = d0.Grid[1] - d0.Grid[0];
        for (int g = 0; g < dens.Grid.Length; g++)
        {
            if (dens.Grid[g] < xlo || dens.Grid[g] > xhi) continue;
            int g0 = (int)Math.Round((dens.Grid[g] - d0.Grid[0]) / h0);
            double w0 = g0 >= 0 && g0 < d0.Grid.Length ? d0.Density[0][g0] : 0;
            table.Add([dens.Grid[g], .. picks.Select(k => dens.Density[k][g]), w0]);
        }
        ctx.Csv("block_densities.csv", ["eigenvalue", .. picks.Select(k => $"class_{k}_after_gd"), "every_class_w0"], table);
    }

    /// <summary>The eigenvalues where any curve is above 1e-3 of its peak, padded by 5 % (each 50 000-point grid spans its own [min − 1, max + 1]).</summary>
    private static (double Lo, double Hi) VisibleRange(List<(double[] Grid, double[] Density)> curves)
    {
        double xlo = double.PositiveInfinity, xhi = double.NegativeInfinity;
        foreach (var (grid, f) in curves)
        {
            double peak = f.Max();
            int a0 = Array.FindIndex(f, v => v > 1e-3 * peak), a1 = Array.FindLastIndex(f, v => v > 1e-3 * peak);
            if (a0 >= 0) { xlo = Math.Min(xlo, grid[a0]); xhi = Math.Max(xhi, grid[a1]); }
        }
        double pad = 0.05 * (xhi - xlo);
        xlo -= pad; xhi += pad;
        return (xlo, xhi);
    }

    /// <summary>The part of a density on [<paramref name="xlo"/>, <paramref name="xhi"/>].</summary>
    private static (double[] X, double[] Y) Window(double[] grid, double[] f, double xlo, double xhi)
    {
        var idx = Enumerable.Range(0, grid.Length).Where(g => grid[g] >= xlo && grid[g] <= xhi).ToArray();
        return (idx.Select(g => grid[g]).ToArray(), idx.Select(g => f[g]).ToArray());
    }

    /// <summary>The check at W_0, the two claims (JS⁰ at W_0 and along training against the gap) and the reading.</summary>
    private static void ClaimsAndReading(RecipeContext ctx, List<SweepRow> rows)
    {
        double maxInit = rows.Max(r => r.Js0AtInit);
        ctx.Check("W = 0: JS⁰ = 0 for every exponent", "every class block is the same matrix (p_ik = 1/c), so their densities coincide: JS⁰ ≤ 1e-10",
            $"max over a of JS⁰(W_0) = {maxInit:G3}", maxInit <= 1e-10);
        var gaps = rows.Select(r => r.Gap).ToArray();
        double rhoInit = maxInit > 1e-10 ? Correlation.Spearman(rows.Select(r => r.Js0AtInit).ToArray(), gaps) : double.NaN;
        bool initHolds = maxInit > 1e-10 && rhoInit >= 0.9;
        string gapText = string.Join(", ", rows.Select(r => $"a={r.A:G2}: {r.Gap:G3}"));
        ctx.Claim("Zhang et al. (a): Adam's advantage over GD comes with block heterogeneity at initialisation",
            "JS⁰ at W_0 separates the exponents and grows with the GD–Adam final-loss gap: JS⁰(W_0) > 1e-10 and Spearman ρ(JS⁰(W_0), gap) ≥ 0.9 over the sweep",
            $"JS⁰(W_0) ≤ {maxInit:G2} for every a while the gap is {gapText}", initHolds);
        double rhoGd = Correlation.Spearman(rows.Select(r => r.Gd[^1].Js0).ToArray(), gaps);
        double rhoAdam = Correlation.Spearman(rows.Select(r => r.Adam[^1].Js0).ToArray(), gaps);
        bool tracks = rhoGd >= 0.9;
        ctx.Claim("Zhang et al. (b), along training: JS⁰ tracks the GD–Adam gap",
            "JS⁰ at the end of the selected GD run grows with the gap over the sweep: Spearman ρ(JS⁰_GD(T), gap) ≥ 0.9",
            $"ρ = {rhoGd:F2} (JS⁰_GD(T): {string.Join(", ", rows.Select(r => $"a={r.A:G2}: {r.Gd[^1].Js0:G3}"))}); after Adam ρ = {rhoAdam:F2}", tracks);
        double adamMax = rows.Max(r => r.Adam[^1].Js0), adamLossMax = rows.Max(r => r.AdamLoss);
        string relGd = string.Join(", ", rows.Select(r => $"{r.Gd[^1].RelativeJs0:G2}"));
        ctx.Reading = $"At W_0 every class block of the linear model is the same matrix, so JS⁰ ≤ {maxInit:G2} (zero up to rounding) for every Zipf exponent while the GD–Adam final-loss gap goes {gapText}: " +
                      (initHolds ? "the claim holds at initialisation." : "the claim does not hold at initialisation, where JS⁰ cannot see the imbalance that drives the gap.") +
                      $" Along training GD's blocks separate (JS⁰ at step {ctx.Steps} from {rows[0].Gd[^1].Js0:G2} at a = {rows[0].A:G2} to {rows[^1].Gd[^1].Js0:G2} at a = {rows[^1].A:G2} with the paper's σ = √1e-5; {relGd} with σ at 1 % of the spectrum) " +
                      (tracks ? $"and track the gap (Spearman ρ = {rhoGd:F2}), " : $"but do not track the gap (Spearman ρ = {rhoGd:F2}), ") +
                      $"while Adam fits every class (final loss ≤ {adamLossMax:G2}), so all its blocks shrink to 0 together and its JS⁰ stays at rounding level (≤ {adamMax:G2}): " +
                      "on this model block heterogeneity is produced by GD's uneven progress on imbalanced classes, not present at W_0.";
    }
}
