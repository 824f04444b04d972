using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Recipes;

/// <summary>The estimate of one planned row: the path auto takes for its batches, its seconds here, and its FLOPs on that path.</summary>
/// <param name="Path">primal, gram, or "primal+gram" when the row's batches differ.</param>
public sealed record RowEstimate(PlannedRuns Row, string Path, double Seconds, double Flops);

/// <summary>
/// `reproduce --dry-run`'s prices: each planned row (<see cref="ReproducePlan"/>) as the batches its runs are trained in —
/// a grid: per seed the coarse step sizes side by side, then the refinement pair; other rows: their step sizes side by side
/// per seed —, each on the path auto would take for it (<see cref="RunTraining.ChoosePathForSizes"/>)
/// in the precision of the rates, priced at the rates measured for that path's shapes (<see cref="PlanRates"/>).
/// </summary>
/// <remarks>
/// Seconds of a batch of R runs of T steps on n × d inputs with c classes:
/// primal: T steps of 4·n·d·R·c and the last evaluation's 2·n·d·R·c at the primal rate; Gram: K (n²·d at the K rate, formed
/// per batch), T steps of 2·n²·R·c per GEMM of K at the Gram rate, and W = XᵀA (2·n·d·R·c at the primal rate); identity
/// inputs (no GEMM): (T + 1)·n·R·c logits at the row rate. Per seed the data (n·d entries generated) and, when a batch takes
/// the primal path, X's first-use packing. Not counted: the stability ladder's extra step sizes, observers' own passes, the
/// ODE solves, the TorchSharp recipes (as in <see cref="ReproducePlan"/>).
/// </remarks>
public static class ReproduceEstimate
{
    /// <summary>Every row of <paramref name="plan"/> priced at <paramref name="rates"/>, with <paramref name="freeBytes"/> of memory for auto's Gram test.</summary>
    public static IReadOnlyList<RowEstimate> For(IReadOnlyList<PlannedRuns> plan, PlanRates rates, double freeBytes)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Select(r => Row(r, rates, freeBytes)).ToList();
    }

    /// <summary>The estimate of one row (0 s for a row the cache already holds).</summary>
    public static RowEstimate Row(PlannedRuns row, PlanRates rates, double freeBytes)
    {
        ArgumentNullException.ThrowIfNull(row);
        var (path, seconds, flops) = Runs(row.Optimizer, row.Sizes, row.Problem.Name is "one-hot" or "bigram", row.What == "grid", row.StepSizes, row.Seeds,
            row.Steps, row.Observe != null, rates, freeBytes);
        return row.CachedBy != null ? new RowEstimate(row, path, 0, 0) : new RowEstimate(row, path, seconds, flops);
    }

    /// <summary>
    /// Seconds and FLOPs of <paramref name="stepSizes"/> × <paramref name="seeds"/> runs of one optimizer on n×d×c data, and
    /// the path(s) auto takes for them: a grid trains its coarse step sizes together, then the refinement pair.
    /// </summary>
    public static (string Path, double Seconds, double Flops) Runs(string optimizer, (long N, long D, long C) sizes, bool identityInputs, bool grid,
        int stepSizes, int seeds, int steps, bool observed, PlanRates rates, double freeBytes)
    {
        ArgumentNullException.ThrowIfNull(rates);
        var (n, d, c) = sizes;
        var batches = grid ? new[] { GridSearch.Coarse().Length, stepSizes - GridSearch.Coarse().Length } : [stepSizes];
        var paths = new HashSet<TrainingPath>();
        double seconds = 0, flops = 0;
        foreach (int runs in batches.Where(b => b > 0))
        {
            var optimizers = Enumerable.Range(0, runs).Select(k => new OptimizerSettings(optimizer, 1e-3 * (k + 1))).ToList();
            var path = identityInputs ? TrainingPath.Primal
                : RunTraining.ChoosePathForSizes(TrainingPath.Auto, n, d, c, false, optimizers, steps, observed, rates.Precision, freeBytes);
            paths.Add(path);
            var (s, f) = Batch(path, identityInputs, n, d, c, runs, steps, GramStepper.GemmsPerStep(optimizers, rates.Precision == Precision.Float32), rates);
            seconds += s; flops += f;
        }
        double perSeed = identityInputs ? 0 : n * d * (rates.DataSecondsPerElement + (paths.Contains(TrainingPath.Primal) ? rates.PackSecondsPerElement : 0));
        return (string.Join("+", paths.Order().Select(TrainingPaths.Name)), seeds * (seconds + perSeed), flops * seeds);
    }

    /// <summary>Seconds and FLOPs of one batch of <paramref name="runs"/> runs of <paramref name="steps"/> steps on a path (see the class remarks).</summary>
    public static (double Seconds, double Flops) Batch(TrainingPath path, bool identityInputs, long n, long d, long c, int runs, int steps, int gemmsPerStep, PlanRates rates)
    {
        ArgumentNullException.ThrowIfNull(rates);
        double wide = (double)n * d * runs * c;
        if (identityInputs) return ((steps + 1.0) * n * runs * c * rates.RowSecondsPerLogit, 0);
        if (path == TrainingPath.Gram)
        {
            double k = (double)n * n * d, step = 2.0 * gemmsPerStep * n * n * runs * c;
            return (k / rates.GramKFlops + steps * step / rates.GramStepFlops + 2 * wide / rates.PrimalFlops, k + steps * step + 2 * wide);
        }
        return ((4.0 * wide * steps + 2 * wide) / rates.PrimalFlops, 4.0 * wide * steps + 2 * wide);
    }
}

/// <summary>
/// The wall-time totals `reproduce --dry-run` prints: here (the rows' estimates), on one GPU at an assumed sustained rate,
/// and as SLURM array tasks like this machine (the coarse grids split across tasks, the rest on one).
/// </summary>
/// <param name="HereSeconds">the sum of the rows' estimates on this machine.</param>
/// <param name="GpuSeconds">the total FLOPs at <see cref="GpuNominalFlops"/> × <see cref="GpuSustainedFraction"/> (assumed, not measured).</param>
/// <param name="ShardSeconds">with <paramref name="Shards"/> tasks: the coarse grids' share divided among them, the rest on one.</param>
public sealed record DryRunTotals(double Flops, double HereSeconds, double GpuSeconds, int Shards, double ShardSeconds)
{
    /// <summary>Assumed, not measured: one H200's float32 rate, ≈ 50 TFLOP/s nominal for GEMMs of this shape.</summary>
    public const double GpuNominalFlops = 50e12;

    /// <summary>Assumed, not measured: the fraction of <see cref="GpuNominalFlops"/> a full-batch run sustains (softmax passes, launches, transfers).</summary>
    public const double GpuSustainedFraction = 0.4;

    /// <summary>The totals of <paramref name="estimates"/> (FLOPs as <see cref="PlannedRuns.Flops"/> counts them) for <paramref name="shards"/> tasks.</summary>
    public static DryRunTotals Of(IReadOnlyList<RowEstimate> estimates, int shards)
    {
        ArgumentNullException.ThrowIfNull(estimates);
        if (shards < 1) throw new UserError($"--shards {shards} must be at least 1.");
        // the coarse step sizes' share of a grid's runs: the part `grid --shard k/N` splits
        double coarseShare = (double)GridSearch.Coarse().Length / ReproducePlan.GridStepSizes;
        double here = estimates.Sum(e => e.Seconds), flops = estimates.Sum(e => e.Row.Flops);
        double fixedPart = estimates.Sum(e => e.Row.What == "grid" ? e.Seconds * (1 - coarseShare) : e.Seconds);
        return new DryRunTotals(flops, here, flops / (GpuNominalFlops * GpuSustainedFraction), shards, (here - fixedPart) / shards + fixedPart);
    }
}
