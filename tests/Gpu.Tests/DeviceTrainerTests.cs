using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Gpu.Tests;

/// <summary>
/// The device-resident trainer (every buffer on the accelerator across steps) against src/Analytic's double gradient and
/// src/Ode's optimizers, on ILGPU's CPU accelerator always and on CUDA when a GPU is present.
/// </summary>
public class DeviceTrainerTests
{
    /// <summary>(CUDA?, HT-Random m): m = 4 has d·c = 1,200 (one chunk of the norm reduction), m = 5 has 5,952 (two chunks).</summary>
    public static IEnumerable<object[]> Accelerators()
    {
        bool cuda = false;
        if (IlgpuProvider.TryCreateCuda() is { } p) { p.Dispose(); cuda = true; }
        foreach (int m in new[] { 4, 5 })
        {
            yield return [false, m];
            if (cuda) yield return [true, m];
        }
    }

    private static readonly OptimizerSettings[] Runs =
    [
        new OptimizerSettings("gd", 2.0), new OptimizerSettings("gd-m", 0.5), new OptimizerSettings("sign", 0.01), new OptimizerSettings("sign-m", 0.003), new OptimizerSettings("adam", 0.01), new OptimizerSettings("adam-nm", 0.003),
        new OptimizerSettings("adagrad", 0.03), new OptimizerSettings("normalized", 0.5), new OptimizerSettings("normalized-m", 0.1),
        new OptimizerSettings("signum", 0.01), new OptimizerSettings("lion", 0.01), new OptimizerSettings("lion", 0.01) { WeightDecay = 0.5 },
    ];

    [Fact]
    public void Every_optimizer_with_a_device_rule_is_in_the_contract_runs() =>
        Assert.Equal(DeviceSoftmaxTrainer.Supported.OrderBy(x => x), Runs.Select(r => r.Name).Distinct().OrderBy(x => x));

    [Theory]
    [MemberData(nameof(Accelerators))]
    public void Every_device_optimizer_side_by_side_follows_the_double_reference(bool cuda, int size)
    {
        var p = Problems.HtRandom(size, seed: 5);   // m = 4: n = 64, d = 80, c = 15; m = 5: n = 160, d = 192, c = 31
        var (n, d, c) = (p.Data.N, p.Data.D, p.Data.C);
        using var gpu = cuda ? IlgpuProvider.TryCreateCuda()! : IlgpuProvider.Create(preferCuda: false);
        using var trainer = new DeviceSoftmaxTrainer(gpu, p.Data.X.Select(v => (float)v).ToArray(), p.Data.Labels, n, d, c, Runs);
        var model = new SoftmaxCrossEntropyModel(p.Data, new ManagedLinearAlgebraProvider());
        var optimizers = Runs.Select(r => r.Create(model)).ToArray();
        var w = Runs.Select(_ => new double[d * c]).ToArray();
        var g = new double[d * c];
        const int steps = 6;
        for (int t = 0; t < steps; t++)
        {
            var losses = trainer.Step().ToArray();
            for (int r = 0; r < Runs.Length; r++)
            {
                double loss = model.LossAndGradient(w[r], g);
                optimizers[r].Step(w[r], g);
                // float32 inputs (2⁻²⁴ each), d ≤ 192 and n ≤ 160 term float sums (≤ 192·2⁻²⁴ ≈ 1.1e-5 worst case), exp/log in float:
                // the loss at step t is within ≈ 1e-5 relative of the double one at these step sizes; 1e-4 leaves room.
                Assert.True(Math.Abs(losses[r] - loss) <= 1e-4 * loss, $"{Runs[r].Name} step {t}: device {losses[r]} vs {loss}");
            }
        }
        for (int r = 0; r < Runs.Length; r++)
        {
            var wf = trainer.Weights(r);
            double scale = w[r].Max(Math.Abs);
            // W after 6 steps: the same float32 budget on the gradient, times η and the steps; sign-based runs move every
            // coordinate by exactly ±η per step, so a sign that differs would show as an error of 2η ≫ the bound below.
            for (int i = 0; i < wf.Length; i++)
                Assert.True(Math.Abs(wf[i] - w[r][i]) <= 1e-4 * scale, $"{Runs[r].Name} W[{i}]: {wf[i]} vs {w[r][i]}");
        }
        Assert.DoesNotContain(true, trainer.Diverged);
    }

    [Fact]
    public void A_diverging_run_is_frozen_and_the_others_go_on()
    {
        var p = Problems.HtRandom(3, seed: 1);
        using var gpu = IlgpuProvider.Create(preferCuda: false);
        OptimizerSettings[] runs = [new OptimizerSettings("gd", 1e38), new OptimizerSettings("gd", 0.5)];
        using var trainer = new DeviceSoftmaxTrainer(gpu, p.Data.X.Select(v => (float)v).ToArray(), p.Data.Labels, p.Data.N, p.Data.D, p.Data.C, runs);
        double last = double.NaN;
        for (int t = 0; t < 30; t++) last = trainer.Step()[1];
        Assert.True(trainer.Diverged[0], "η = 1e38 overflows the float32 logits at the second step");
        Assert.False(trainer.Diverged[1]);
        Assert.True(double.IsFinite(last) && last < Math.Log(p.Data.C));
        var frozen = trainer.Weights(0);
        trainer.Step();
        Assert.Equal(frozen, trainer.Weights(0));
    }

    [Fact]
    public void Bad_input_is_refused_with_a_clear_message()
    {
        using var gpu = IlgpuProvider.Create(preferCuda: false);
        var e = Assert.Throws<ArgumentException>(() => new DeviceSoftmaxTrainer(gpu, new float[6], [0, 1], 2, 3, 2, [new OptimizerSettings("pcngd", 0.1)]));
        Assert.Contains("does not run on the device", e.Message);
        Assert.Throws<ArgumentException>(() => new DeviceSoftmaxTrainer(gpu, new float[5], [0, 1], 2, 3, 2, [new OptimizerSettings("gd", 0.1)]));
        Assert.Throws<ArgumentException>(() => new DeviceSoftmaxTrainer(gpu, [0, 0, float.NaN, 0, 0, 0], [0, 1], 2, 3, 2, [new OptimizerSettings("gd", 0.1)]));
        Assert.Throws<ArgumentException>(() => new DeviceSoftmaxTrainer(gpu, new float[6], [0, 2], 2, 3, 2, [new OptimizerSettings("gd", 0.1)]));
    }
}
