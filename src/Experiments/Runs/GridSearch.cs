using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Runs;

/// <summary>
/// The stability criterion of Appendix A.4, as numbers: a run is unstable when it diverged, when its training loss ever
/// exceeds <see cref="MaxLossFactor"/>·L_0, or when its total rise Σ_t max(0, L_{t+1} − L_t) over the logged losses
/// exceeds <see cref="MaxRiseFraction"/> of its total decrease L_0 − L_T (a run that does not decrease is unstable as soon
/// as it rises at all). The paper: when the step size with the lowest final loss gives a run that "oscillates wildly",
/// take the next smaller one, "which has similar performance but is more stable throughout training".
/// </summary>
public sealed record StabilityCriterion(double MaxLossFactor = 1.05, double MaxRiseFraction = 0.10)
{
    /// <summary>The paper's thresholds: loss never above 1.05·L_0, total rise at most 10% of the total decrease.</summary>
    public static readonly StabilityCriterion Default = new();

    /// <summary>True when run <paramref name="r"/> did not diverge, never exceeded MaxLossFactor·L_0, and rose in total by at most MaxRiseFraction·(L_0 − L_T).</summary>
    public bool IsStable(RunRecord r)
    {
        if (r.Diverged || r.Rows.Any(x => !double.IsFinite(x.Loss))) return false;
        double l0 = r.Rows[0].Loss, rise = 0;
        for (int t = 0; t < r.Rows.Count; t++)
        {
            if (r.Rows[t].Loss > MaxLossFactor * l0) return false;
            if (t > 0) rise += Math.Max(0, r.Rows[t].Loss - r.Rows[t - 1].Loss);
        }
        return rise <= MaxRiseFraction * Math.Max(0, l0 - r.Rows[^1].Loss);
    }

    /// <summary>The thresholds as best.json records them (max_loss_factor, max_rise_fraction).</summary>
    public Dictionary<string, object?> ToJson() => new() { ["max_loss_factor"] = MaxLossFactor, ["max_rise_fraction"] = MaxRiseFraction };

    /// <summary>Checks the thresholds (a user error names the option).</summary>
    public StabilityCriterion Validated() =>
        MaxLossFactor >= 1 && double.IsFinite(MaxLossFactor) && MaxRiseFraction >= 0 && double.IsFinite(MaxRiseFraction) ? this
            : throw new UserError($"stability thresholds: --max-loss-factor {MaxLossFactor} must be ≥ 1 and --max-rise {MaxRiseFraction} ≥ 0.");
}

/// <summary>One step size of a grid: its runs over the seeds and their worst score (max over seeds of the final loss, a diverged run scoring its initial loss).</summary>
public sealed record GridPoint(double Lr, double WorstScore, IReadOnlyList<RunRecord> Runs)
{
    /// <summary>True when a run at this step size diverged on some seed.</summary>
    public bool AnyDiverged => Runs.Any(r => r.Diverged);

    /// <summary>Every seed's run meets the criterion (null criterion: every point counts as stable).</summary>
    public bool IsStable(StabilityCriterion? c) => c == null || Runs.All(c.IsStable);
}

/// <summary>The outcome of a step-size grid for one optimizer: every evaluated point, the best and the selected step size.</summary>
/// <param name="BestLr">the final-loss rule's step size.</param>
public sealed record GridResult(string Optimizer, IReadOnlyList<GridPoint> Points, double BestLr, bool AtEdge)
{
    /// <summary>After the stability rule: the largest evaluated step size ≤ BestLr whose runs are all stable (BestLr itself when the rule is off or no evaluated step size is stable, see <see cref="NoStableStepSize"/>).</summary>
    public double SelectedLr { get; init; } = BestLr;
    /// <summary>The stability criterion, null when the rule is off.</summary>
    public StabilityCriterion? Stability { get; init; }

    /// <summary>The point of the final-loss rule's step size.</summary>
    public GridPoint Best => Points.First(p => p.Lr == BestLr);
    /// <summary>The point of the selected step size (after the stability rule).</summary>
    public GridPoint Selected => Points.First(p => p.Lr == SelectedLr);

    /// <summary>Evaluated step sizes whose runs are not all stable (empty when the rule is off).</summary>
    public IReadOnlyList<double> UnstableLrs => Stability == null ? [] : Points.Where(p => !p.IsStable(Stability)).Select(p => p.Lr).ToList();

    /// <summary>The rule is on but not even the smallest step size tried below the best gave stable runs.</summary>
    public bool NoStableStepSize => Stability != null && !Selected.IsStable(Stability);
}

/// <summary>
/// The paper's step-size selection (Kunstner et al. 2024, Appendix A.4): powers of 10 from 1e-6 to 1e1, then the
/// half-powers on either side of the best. The selected step size minimises, over step sizes, the worst final
/// training loss over seeds; a diverged run counts as its initial loss; ties go to the smaller step size. The grid
/// never grows past [1e-6, 1e1]: a best step size at either edge is flagged (<see cref="GridResult.AtEdge"/>).
/// Then the stability rule (<see cref="StabilityCriterion"/>): the largest step size ≤ the best whose runs on every seed are
/// stable, going down the half-power ladder from the best and evaluating the step sizes that are missing.
/// </summary>
public static class GridSearch
{
    /// <summary>The grid's range: step sizes from 1e-6 to 1e1.</summary>
    public const double MinLr = 1e-6, MaxLr = 1e1;

    /// <summary>The coarse grid: 1e-6, 1e-5, …, 1e1.</summary>
    public static double[] Coarse() => Enumerable.Range(-6, 8).Select(e => Math.Pow(10, e)).ToArray();

    /// <summary>The half-powers around a coarse best, inside the range.</summary>
    public static double[] Refine(double best) =>
        new[] { best / Math.Sqrt(10), best * Math.Sqrt(10) }.Where(v => v >= MinLr * 0.999 && v <= MaxLr * 1.001).ToArray();

    /// <summary>Selection among evaluated points: min over lr of max over seeds of the score; ties → smaller lr.</summary>
    public static GridResult Select(string optimizer, IEnumerable<GridPoint> points)
    {
        var pts = points.OrderBy(p => p.Lr).ToList();
        if (pts.Count == 0) throw new ArgumentException("no grid points to select from.");
        var best = pts.OrderBy(p => double.IsNaN(p.WorstScore) ? double.PositiveInfinity : p.WorstScore).ThenBy(p => p.Lr).First();
        bool edge = Math.Abs(Math.Log10(best.Lr) - Math.Log10(MinLr)) < 1e-9 || Math.Abs(Math.Log10(best.Lr) - Math.Log10(MaxLr)) < 1e-9;
        return new GridResult(optimizer, pts, best.Lr, edge);
    }

    /// <summary>The grid point of step size <paramref name="lr"/> from its runs: worst score = max over the runs' scores.</summary>
    public static GridPoint Point(double lr, IReadOnlyList<RunRecord> runs) => new(lr, runs.Max(r => r.Score), runs);

    /// <summary>
    /// Runs (or loads from the cache) the grid for one optimizer over the given seeds. <paramref name="shard"/> = (k, n)
    /// runs only the coarse runs whose index is k mod n and returns null (merge the shards afterwards).
    /// </summary>
    public static GridResult? Run(RunCache cache, ProblemOptions problem, OptimizerSettings template, int steps, int logEvery,
        IReadOnlyList<long> seeds, (int K, int N)? shard = null, IReadOnlyList<double>? lrs = null, Action<string>? progress = null,
        StabilityCriterion? stability = null, bool stabilityOff = false)
    {
        var env = cache.Environment;
        var coarse = lrs ?? Coarse();
        if (shard is (int k, int n))
        {
            var jobs = coarse.SelectMany(lr => seeds.Select(s => (lr, s))).ToList();
            for (int i = 0; i < jobs.Count; i++)
                if (i % n == k) cache.GetOrRun(env.Spec(problem with { Seed = jobs[i].s }, template with { Lr = jobs[i].lr }, steps, logEvery));
            return null;
        }
        // runs that share a seed (hence the data) are trained together, one wide GEMM per step
        return Run(template.Name, seeds, (lr, s) => cache.GetOrRun(env.Spec(problem with { Seed = s }, template with { Lr = lr }, steps, logEvery)),
            lrs, rates => cache.EnsureAll(seeds.SelectMany(s => rates.Select(lr => env.Spec(problem with { Seed = s }, template with { Lr = lr }, steps, logEvery))).ToList()),
            progress, stability, stabilityOff);
    }

    /// <summary>
    /// The grid on the user's arrays (one data set, so no data seeds): runs keyed by <see cref="ArraysRunSpec"/> (the
    /// arrays' content hash <paramref name="dataSha256"/>), trained together per set of step sizes. <paramref name="shard"/>
    /// = (k, n) trains the coarse step sizes whose index is k mod n and returns null.
    /// </summary>
    public static GridResult? RunArrays(RunCache cache, Problem problem, LinearModel model, string dataSha256, OptimizerSettings template,
        int steps, int logEvery, (int K, int N)? shard = null, IReadOnlyList<double>? lrs = null, Action<string>? progress = null,
        StabilityCriterion? stability = null, bool stabilityOff = false)
    {
        string settings = ArraysRunSpec.Settings(problem);
        var precision = cache.Environment.Compute.Precision;
        ArraysRunSpec Spec(double lr) => new(dataSha256, settings, template with { Lr = lr }, steps, logEvery) { Precision = precision };
        var coarse = lrs ?? Coarse();
        if (shard is (int k, int n))
        {
            cache.EnsureAll(problem, model, coarse.Where((_, i) => i % n == k).Select(Spec).ToList());
            return null;
        }
        return Run(template.Name, [0L], (lr, _) => cache.GetOrRun(Spec(lr), problem, model), lrs,
            rates => cache.EnsureAll(problem, model, rates.Select(Spec).ToList()), progress, stability, stabilityOff);
    }

    /// <summary>
    /// The grid rule over any kind of run: <paramref name="run"/>(lr, seed) trains (or loads) one run; <paramref name="prepare"/>,
    /// when given, is called with each set of step sizes first (to train them together).
    /// </summary>
    /// <param name="stability">the stability rule's criterion (default <see cref="StabilityCriterion.Default"/>; pass null with
    /// <paramref name="stabilityOff"/> for the final-loss rule alone).</param>
    public static GridResult Run(string optimizer, IReadOnlyList<long> seeds, Func<double, long, RunRecord> run,
        IReadOnlyList<double>? lrs = null, Action<IReadOnlyList<double>>? prepare = null, Action<string>? progress = null,
        StabilityCriterion? stability = null, bool stabilityOff = false)
    {
        var criterion = stabilityOff ? null : stability ?? StabilityCriterion.Default;
        var coarse = lrs ?? Coarse();
        GridPoint Eval(double lr) => Point(lr, seeds.Select(s =>
        {
            var rec = run(lr, s);
            progress?.Invoke($"{optimizer} lr={lr:G3} seed={s}: {(rec.Diverged ? "diverged" : rec.FinalLoss.ToString("G4"))}");
            return rec;
        }).ToList());
        prepare?.Invoke(coarse);
        var points = coarse.Select(Eval).ToList();
        if (lrs == null)
        {
            var refine = Refine(Select(optimizer, points).BestLr);
            prepare?.Invoke(refine);
            foreach (var lr in refine) points.Add(Eval(lr));
        }
        var result = Select(optimizer, points);
        if (criterion == null) return result;
        // the stability rule: down the half-power ladder from the best, evaluating missing step sizes on the paper's grid
        GridPoint? selected = null;
        for (double lr = result.BestLr; lr >= MinLr * 0.999; lr /= Math.Sqrt(10))
        {
            var p = points.FirstOrDefault(q => Math.Abs(Math.Log10(q.Lr / lr)) < 1e-9);
            if (p == null)
            {
                if (lrs != null) continue;   // an explicit list: choose among the step sizes given
                prepare?.Invoke([lr]);
                points.Add(p = Eval(lr));
            }
            if (p.IsStable(criterion)) { selected = p; break; }
        }
        // best_lr stays the final-loss rule's pick among the grid before the ladder (the issue's η*); the ladder's points are listed
        return result with { Points = points.OrderBy(p => p.Lr).ToList(), SelectedLr = selected?.Lr ?? result.BestLr, Stability = criterion };
    }
}
