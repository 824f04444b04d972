using System.Diagnostics;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Optimizers;

/// <summary>One logged row: the loss and per-group losses at W after <c>Step</c> updates.</summary>
public sealed record TrainingRow(int Step, double Loss, double[] GroupLosses);

public sealed record TrainingResult(IReadOnlyList<TrainingRow> Rows, double[] W, bool Diverged, int StepsDone, double WallSeconds)
{
    public string Status => Diverged ? "diverged" : "finished";
}

/// <summary>Full-batch training: row t is the loss after t updates (row 0 = the initial point), logged every N steps and at the end.</summary>
public static class Trainer
{
    /// <remarks>
    /// Each iteration makes one pass for loss, per-sample losses and gradient at W_t, logs, then updates. When the loss or W
    /// becomes non-finite the run stops with <c>Diverged</c> = true; that step is logged with its non-finite loss.
    /// </remarks>
    public static TrainingResult Run(LinearModel model, Optimizer optimizer, double[] w0, int steps, FrequencyGroups groups,
        int logEvery = 1, Action<int>? progress = null, CancellationToken cancel = default)
    {
        if (steps < 0) throw new ArgumentException($"steps = {steps} must be ≥ 0.", nameof(steps));
        if (logEvery < 1) throw new ArgumentException($"log-every = {logEvery} must be ≥ 1.", nameof(logEvery));
        var w = (double[])w0.Clone();
        var g = new double[w.Length];
        var losses = new double[model.N];
        var rows = new List<TrainingRow>();
        var sw = Stopwatch.StartNew();
        for (int t = 0; ; t++)
        {
            cancel.ThrowIfCancellationRequested();
            bool finiteW = Array.TrueForAll(w, double.IsFinite);
            double loss = finiteW ? model.LossAndGradient(w, g, losses) : double.NaN;
            bool diverged = !double.IsFinite(loss);
            if (diverged || t % logEvery == 0 || t == steps)
                rows.Add(new TrainingRow(t, loss, diverged ? Enumerable.Repeat(double.NaN, groups.K).ToArray() : model.PerGroupLossFromSamples(losses, groups)));
            if (diverged) return new TrainingResult(rows, w, true, t, sw.Elapsed.TotalSeconds);
            if (t == steps) return new TrainingResult(rows, w, false, t, sw.Elapsed.TotalSeconds);
            optimizer.Step(w, g);
            progress?.Invoke(t + 1);
        }
    }
}
