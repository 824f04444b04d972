using HeavyTail.Tests.Shared;
using HeavyTail.Ode.Training;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Ode.Tests;

/// <summary>float32 training (<see cref="BatchedLinearStepper{T}"/> of float) against the float64 run of the same settings.</summary>
public class Float32TrainingTests
{
    private static readonly double U = Math.Pow(2, -24);

    public static IEnumerable<object[]> Cases()
    {
        // ht-random (dense X, cross-entropy), one-hot (identity inputs), ht-identity (squared loss)
        foreach (var problem in new[] { "ht-random", "one-hot", "ht-identity" })
            foreach (var (opt, lr) in new[] { ("gd", 0.3), ("adam", 0.01), ("gd-m", 0.1), ("adagrad", 0.05), ("normalized", 0.05) })
                yield return [problem, opt, lr];
    }

    private static Problem Make(string name) => name switch
    {
        "ht-random" => Problems.HtRandom(4, seed: 1),  // n = 64, d = 80, c = 15
        "one-hot" => Problems.OneHot(12, 1.0),
        _ => Problems.HtIdentity(1),
    };

    /// <summary>
    /// One evaluation in float32 differs from the float64 one at the same W by the rounding of X and W (u each), the d-term
    /// sums of Z = XW, the c-term softmax sum and the n-term sums of G = XᵀR: a relative loss perturbation of at most about
    /// u·K with K = n + d + c (Higham's γ_k ≈ k·u per k-term sum; the cross-entropy moves by at most 2‖Δz‖∞). Over t steps
    /// of a stable run these perturbations add up at most linearly, so the test asserts
    /// |L32_t − L64_t| ≤ C·u·K·(t + 1)·max(|L64_t|, 1) with C = 1, for the loss and every group loss, at every step;
    /// and, so that the test fails if the float32 path secretly ran in float64, that some step differs by more than u/8·|L|.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32_runs_track_the_float64_run_within_unit_roundoff_times_the_sum_lengths(string problem, string optimizer, double lr)
    {
        var p = Make(problem);
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var settings = new OptimizerSettings(optimizer, lr);
        const int steps = 10;
        var r64 = TrainingLoop.RunOne(LinearSteppers.Create(model, [settings.Create(model)], p.Groups, Precision.Float64), new TrainingSchedule(steps, 1));
        var r32 = TrainingLoop.RunOne(LinearSteppers.Create(model, [settings.Create(model)], p.Groups, Precision.Float32), new TrainingSchedule(steps, 1));
        Assert.False(r64.Diverged); Assert.False(r32.Diverged);
        Assert.Equal(r64.Rows.Count, r32.Rows.Count);
        double k = model.N + model.D + model.C, largest = 0;
        for (int i = 0; i < r64.Rows.Count; i++)
        {
            int t = r64.Rows[i].Step;
            double l64 = r64.Rows[i].Loss, l32 = r32.Rows[i].Loss, bound = U * k * (t + 1) * Math.Max(Math.Abs(l64), 1);
            Assert.True(Math.Abs(l32 - l64) <= bound, $"{problem} {optimizer} step {t}: float32 {l32:R} vs float64 {l64:R}, |Δ| = {Math.Abs(l32 - l64):G3} > {bound:G3}");
            for (int g = 0; g < p.Groups.K; g++)
            {
                double g64 = r64.Rows[i].GroupLosses[g], g32 = r32.Rows[i].GroupLosses[g];
                double gBound = U * k * (t + 1) * Math.Max(Math.Abs(g64), 1);
                Assert.True(Math.Abs(g32 - g64) <= gBound, $"{problem} {optimizer} step {t} group {g}: {g32:R} vs {g64:R} (bound {gBound:G3})");
            }
            largest = Math.Max(largest, Math.Abs(l32 - l64) / Math.Max(Math.Abs(l64), 1));
        }
        Assert.True(largest > U / 8, $"{problem} {optimizer}: the float32 run agrees with float64 to {largest:G3} relative: it did not run in float32");
    }

    [Fact]
    public void A_float32_batch_equals_its_runs_trained_alone_and_keeps_its_state_in_float32()
    {
        var p = Problems.HtRandom(4, seed: 1);
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var settings = new[] { new OptimizerSettings("gd", 0.3), new OptimizerSettings("adam", 0.01) };
        var batch = TrainingLoop.Run(LinearSteppers.Create(model, settings.Select(s => s.Create(model)).ToList(), p.Groups, Precision.Float32), new TrainingSchedule(6, 2));
        for (int r = 0; r < settings.Length; r++)
        {
            var adam = settings[r].Create(model);
            var alone = TrainingLoop.RunOne(LinearSteppers.Create(model, [adam], p.Groups, Precision.Float32), new TrainingSchedule(6, 2));
            // the wide GEMM may block its sums differently from the one-run GEMM: agreement to float32 rounding
            for (int i = 0; i < alone.Rows.Count; i++)
                Assert.True(Math.Abs(alone.Rows[i].Loss - batch[r].Rows[i].Loss) <= 64 * U * alone.Rows[i].Loss, $"{settings[r].Name} row {i}");
            if (adam is Adam a) Assert.True(a.FirstMoment.IsEmpty, "Adam's state is float32 (no float64 view)");
        }
        // a float32 optimizer cannot step float64 weights afterwards: its state has one type
        var used = new Adam(0.01);
        used.Step(new float[3], new float[] { 1, -1, 0 });
        Assert.Throws<InvalidOperationException>(() => used.Step(new double[3], new double[] { 1, -1, 0 }));
    }

    [Fact]
    public void Float32_optimizer_steps_equal_the_float64_formulas_rounded_to_float32_scalars()
    {
        // Adam, two steps, PyTorch's float32 order of operations with float64 scalars rounded to float32 once
        var g = new[] { new float[] { 0.5f, -2e-3f, 0f }, new float[] { -0.25f, 1e-3f, 3f } };
        var w = new float[] { 1f, -1f, 0.5f };
        var adam = new Adam(0.1);
        var m = new float[3]; var v = new float[3]; var expected = (float[])w.Clone();
        for (int t = 1; t <= 2; t++)
        {
            adam.Step(w, (float[])g[t - 1].Clone());
            float stepSize = (float)(0.1 / (1 - Math.Pow(0.9, t))), bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(0.999, t));
            for (int i = 0; i < 3; i++)
            {
                float gi = g[t - 1][i];
                m[i] += (gi - m[i]) * (float)(1 - 0.9);
                v[i] = v[i] * 0.999f + (float)(1 - 0.999) * gi * gi;
                expected[i] -= stepSize * (m[i] / (MathF.Sqrt(v[i]) / bc2Sqrt + 1e-8f));
            }
        }
        Assert.Equal(expected, w);
    }
}
