using HeavyTail.Experiments.Runs;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Tests;

/// <summary>The fused float32/float64 GD stepper (the benchmark's float32 unit) (GEMM, fused row pass, gradient accumulated into W by a β = 1 GEMM) against src/Analytic.</summary>
public class FusedSoftmaxGdStepperTests
{
    private static readonly double[] Rates = [0.3, 2.0, 10.0];

    [Fact]
    public void Batched_double_step_equals_independent_gradient_descent_runs()
    {
        var p = Problems.HtRandom(4, seed: 3);   // n = 64, d = 80, c = 15
        var (n, d, c) = (p.Data.N, p.Data.D, p.Data.C);
        var model = new SoftmaxCrossEntropyModel(p.Data, new ManagedLinearAlgebraProvider());
        var step = new FusedSoftmaxGdStepper<double>(p.Data.X, p.Data.Labels, n, d, c, new ManagedLinearAlgebraProvider(), Rates);
        var w = Rates.Select(_ => new double[d * c]).ToArray();
        var g = new double[d * c];
        for (int t = 0; t < 4; t++)
        {
            var losses = step.Step().ToArray();
            for (int r = 0; r < Rates.Length; r++)
            {
                double loss = model.LossAndGradient(w[r], g);
                for (int i = 0; i < g.Length; i++) w[r][i] -= Rates[r] * g[i];
                // same sums in different orders (fused accumulation into W, vector lanes): a few ulp of O(1) values
                Assert.True(Math.Abs(losses[r] - loss) <= 1e-12 * loss, $"step {t} run {r}: {losses[r]} vs {loss}");
            }
        }
        for (int r = 0; r < Rates.Length; r++)
            for (int j = 0; j < d; j++)
                for (int a = 0; a < c; a++)
                    Assert.True(Math.Abs(step.W[j * Rates.Length * c + r * c + a] - w[r][j * c + a]) <= 1e-12 * (1 + Math.Abs(w[r][j * c + a])));
    }

    [Fact]
    public void Float_step_tracks_the_double_step_at_float_precision()
    {
        var p = Problems.HtRandom(4, seed: 3);
        var (n, d, c) = (p.Data.N, p.Data.D, p.Data.C);
        var la = new ManagedLinearAlgebraProvider();
        var sd = new FusedSoftmaxGdStepper<double>(p.Data.X, p.Data.Labels, n, d, c, la, Rates);
        var sf = new FusedSoftmaxGdStepper<float>(p.Data.X.Select(v => (float)v).ToArray(), p.Data.Labels, n, d, c, la, Rates);
        for (int t = 0; t < 4; t++)
        {
            var ld = sd.Step().ToArray(); var lf = sf.Step().ToArray();
            // inputs rounded to 2⁻²⁴, d = 80-term float sums (≲ √80·2⁻²⁴ typical), amplified by at most ηL per step over
            // 4 steps at η ≤ 10: 1e-4 relative leaves a factor > 10 of room over the observed 5e-6
            for (int r = 0; r < Rates.Length; r++) Assert.True(Math.Abs(lf[r] - ld[r]) <= 1e-4 * ld[r], $"step {t} run {r}: {lf[r]} vs {ld[r]}");
        }
    }

    [Fact]
    public void Step_rejects_wrong_shapes_and_labels()
    {
        var la = new ManagedLinearAlgebraProvider();
        Assert.Throws<ArgumentException>(() => new FusedSoftmaxGdStepper<double>(new double[10], new int[2], 2, 4, 3, la, [0.1]));
        Assert.Throws<ArgumentException>(() => new FusedSoftmaxGdStepper<double>(new double[8], new[] { 0, 3 }, 2, 4, 3, la, [0.1]));
        Assert.Throws<ArgumentException>(() => new FusedSoftmaxGdStepper<double>(new double[8], new[] { 0, 2 }, 2, 4, 3, la, []));
        Assert.Throws<ArgumentException>(() => new FusedSoftmaxGdStepper<double>(new double[8], new[] { 0, 2 }, 2, 4, 3, la, [double.NaN]));
    }
}
