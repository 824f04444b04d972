using System.Diagnostics;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// R full-batch runs on the same data advanced together (a step-size grid, several optimizers): their weights sit side by
/// side in one d × R·c matrix, so each step is one wide GEMM that reads X once for all runs, then per-run residuals and
/// per-run optimizer updates (each run keeps its own state). A run whose loss becomes non-finite stops there (recorded as
/// diverged, as <see cref="Trainer"/> does) without disturbing the others. Rows and results match <see cref="Trainer"/>.
/// </summary>
public static class BatchedTrainer
{
    public static IReadOnlyList<TrainingResult> Run(LinearModel model, IReadOnlyList<Optimizer> optimizers, int steps, FrequencyGroups groups,
        int logEvery = 1, CancellationToken cancel = default)
    {
        int runs = optimizers.Count, d = model.D, c = model.C, wc = runs * c;
        if (runs == 0) return [];
        if (steps < 0) throw new ArgumentException($"steps = {steps} must be ≥ 0.", nameof(steps));
        if (logEvery < 1) throw new ArgumentException($"log-every = {logEvery} must be ≥ 1.", nameof(logEvery));
        var wWide = new double[d * wc];
        var gWide = new double[d * wc];
        var w = Enumerable.Range(0, runs).Select(_ => new double[d * c]).ToArray();
        var g = Enumerable.Range(0, runs).Select(_ => new double[d * c]).ToArray();
        var losses = Enumerable.Range(0, runs).Select(_ => new double[model.N]).ToArray();
        var rows = Enumerable.Range(0, runs).Select(_ => new List<TrainingRow>()).ToArray();
        var done = new int[runs]; var diverged = new bool[runs]; var active = Enumerable.Repeat(true, runs).ToArray();
        var sw = Stopwatch.StartNew();
        for (int t = 0; ; t++)
        {
            cancel.ThrowIfCancellationRequested();
            var loss = model.LossAndGradientBatched(wWide, runs, gWide, losses);
            for (int r = 0; r < runs; r++)
            {
                if (!active[r]) continue;
                bool bad = !double.IsFinite(loss[r]);
                if (bad || t % logEvery == 0 || t == steps)
                    rows[r].Add(new TrainingRow(t, loss[r], bad ? Enumerable.Repeat(double.NaN, groups.K).ToArray() : model.PerGroupLossFromSamples(losses[r], groups)));
                if (bad) { diverged[r] = true; active[r] = false; done[r] = t; }
                else if (t == steps) { active[r] = false; done[r] = t; }
            }
            if (!active.Any(x => x)) break;
            for (int r = 0; r < runs; r++)
            {
                if (!active[r]) continue;
                for (int j = 0; j < d; j++) Array.Copy(gWide, j * wc + r * c, g[r], j * c, c);
                optimizers[r].Step(w[r], g[r]);
                for (int j = 0; j < d; j++) Array.Copy(w[r], j * c, wWide, j * wc + r * c, c);
            }
        }
        double wall = sw.Elapsed.TotalSeconds;
        return Enumerable.Range(0, runs).Select(r => new TrainingResult(rows[r], w[r], diverged[r], done[r], wall / runs)).ToList();
    }
}
