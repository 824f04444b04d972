using System.Diagnostics;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Gpu;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Runs;

/// <summary>
/// Runs on the ILGPU backends train with every buffer resident on the device (<see cref="DeviceSoftmaxTrainer"/>): the
/// same rows and results as <see cref="BatchedTrainer"/> (loss and per-group losses at each logged step, divergence), in
/// float32, with only the losses coming back each step.
/// </summary>
public static class DeviceTraining
{
    /// <summary>True when <paramref name="la"/> is an ILGPU backend and every run is a softmax cross-entropy run of an optimizer the device has.</summary>
    public static bool Supports(ILinearAlgebraProvider la, Problem problem, IEnumerable<OptimizerSettings> optimizers) =>
        la is IlgpuProvider && problem.Loss == LossKind.CrossEntropy && problem.Data.UniformWeights
        && optimizers.All(o => DeviceRun.Names.Contains(o.Name));

    public static IReadOnlyList<TrainingResult> Run(IlgpuProvider gpu, Problem problem, IReadOnlyList<OptimizerSettings> optimizers, int steps, int logEvery,
        CancellationToken cancel = default)
    {
        if (steps < 0) throw new ArgumentException($"steps = {steps} must be ≥ 0.", nameof(steps));
        if (logEvery < 1) throw new ArgumentException($"log-every = {logEvery} must be ≥ 1.", nameof(logEvery));
        var data = problem.Data;
        var groupOfSample = data.Labels.Select(y => problem.Groups.GroupOf[y]).ToArray();
        var x = new float[data.X.Length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)data.X[i];
        var runs = optimizers.Select(o => new DeviceRun(o.Name, o.Lr, o.Momentum, o.Beta1, o.Beta2, o.Eps)).ToList();
        using var trainer = new DeviceSoftmaxTrainer(gpu, x, data.Labels, data.N, data.D, data.C, runs, groupOfSample);
        int n = runs.Count, k = problem.Groups.K;
        var rows = Enumerable.Range(0, n).Select(_ => new List<TrainingRow>()).ToArray();
        var done = new int[n]; var diverged = new bool[n]; var active = Enumerable.Repeat(true, n).ToArray();
        var sw = Stopwatch.StartNew();
        for (int t = 0; ; t++)
        {
            cancel.ThrowIfCancellationRequested();
            bool log = t % logEvery == 0 || t == steps;
            var losses = trainer.Step(withGroups: log, update: t < steps);
            for (int r = 0; r < n; r++)
            {
                if (!active[r]) continue;
                bool bad = !double.IsFinite(losses[r]);
                if (bad || log) rows[r].Add(new TrainingRow(t, losses[r], bad ? Enumerable.Repeat(double.NaN, k).ToArray() : trainer.GroupLosses(r)));
                if (bad) { diverged[r] = true; active[r] = false; done[r] = t; }
                else if (t == steps) { active[r] = false; done[r] = t; }
            }
            if (!active.Any(a => a)) break;
        }
        double wall = sw.Elapsed.TotalSeconds;
        return Enumerable.Range(0, n).Select(r => new TrainingResult(rows[r], trainer.Weights(r).Select(v => (double)v).ToArray(), diverged[r], done[r], wall / n)).ToList();
    }
}
