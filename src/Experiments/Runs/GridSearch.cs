using HeavyTail.Analytic.Data;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Runs;

public sealed record GridPoint(double Lr, double WorstScore, IReadOnlyList<RunRecord> Runs)
{
    public bool AnyDiverged => Runs.Any(r => r.Diverged);
}

public sealed record GridResult(string Optimizer, IReadOnlyList<GridPoint> Points, double BestLr, bool AtEdge)
{
    public GridPoint Best => Points.First(p => p.Lr == BestLr);
}

/// <summary>
/// The paper's step-size selection (Kunstner et al. 2024, Appendix A.4): powers of 10 from 1e-6 to 1e1, then the
/// half-powers on either side of the best. The selected step size minimises, over step sizes, the worst final
/// training loss over seeds; a diverged run counts as its initial loss; ties go to the smaller step size. The grid
/// never grows past [1e-6, 1e1]: a best step size at either edge is flagged (<see cref="GridResult.AtEdge"/>).
/// </summary>
public static class GridSearch
{
    public const double MinLr = 1e-6, MaxLr = 1e1;

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

    public static GridPoint Point(double lr, IReadOnlyList<RunRecord> runs) => new(lr, runs.Max(r => r.Score), runs);

    /// <summary>
    /// Runs (or loads from the cache) the grid for one optimizer over the given seeds. <paramref name="shard"/> = (k, n)
    /// runs only the coarse runs whose index is k mod n and returns null (merge the shards afterwards).
    /// </summary>
    public static GridResult? Run(RunCache cache, ProblemOptions problem, OptimizerSettings template, int steps, int logEvery,
        IReadOnlyList<long> seeds, (int K, int N)? shard = null, IReadOnlyList<double>? lrs = null, Action<string>? progress = null)
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
            progress);
    }

    /// <summary>
    /// The grid rule over any kind of run: <paramref name="run"/>(lr, seed) trains (or loads) one run; <paramref name="prepare"/>,
    /// when given, is called with each set of step sizes first (to train them together).
    /// </summary>
    public static GridResult Run(string optimizer, IReadOnlyList<long> seeds, Func<double, long, RunRecord> run,
        IReadOnlyList<double>? lrs = null, Action<IReadOnlyList<double>>? prepare = null, Action<string>? progress = null)
    {
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
        return Select(optimizer, points);
    }
}
