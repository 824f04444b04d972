using HeavyTail.Tests.Shared;
using HeavyTail.Ode.Training;
using HeavyTail.Experiments.Runs;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Experiments.Torch;
using HeavyTail.Ode.Optimizers;
using TorchSharp;
using static TorchSharp.torch;

namespace HeavyTail.Experiments.Tests.Torch;

/// <summary>The adapter against src/Analytic and src/Ode on the same numbers, and the models' shapes.</summary>
[Collection(TorchCollection.Name)]
public class TorchAdapterTests
{
    public TorchAdapterTests() => TorchSession.Ensure();

    /// <summary>A bias-free linear layer z = xWᵀ as a TorchSharp classifier (float64).</summary>
    private sealed class LinearNet : IClassifierNetwork, IDisposable
    {
        public readonly TorchSharp.Modules.Linear Layer;
        public LinearNet(double[] w, int d, int c)
        {
            Layer = nn.Linear(d, c, hasBias: false, dtype: ScalarType.Float64);
            var wt = new double[c * d];
            for (int j = 0; j < d; j++) for (int a = 0; a < c; a++) wt[a * d + j] = w[j * c + a];
            using (no_grad()) Layer.weight!.copy_(tensor(wt).reshape(c, d));
        }
        public Tensor Logits(Tensor inputs) => Layer.forward(inputs);
        public nn.Module Module => Layer;
        public void Dispose() => Layer.Dispose();
    }

    private static (LinearModel Model, TorchData Data, FrequencyGroups Groups, double[] W0) Problem(int n = 9, int d = 4, int c = 3, long seed = 5)
    {
        var rng = new SeededRandom(seed);
        var x = Enumerable.Range(0, n * d).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var y = Enumerable.Range(0, n).Select(i => i % c).ToArray();
        var data = new Dataset(x, y, n, d, c);
        var groups = FrequencyGroups.FromAssignment(Enumerable.Range(0, c).Select(k => k == 0 ? 0 : 1).ToArray(), data.GroupingMass());
        var w0 = Enumerable.Range(0, d * c).Select(_ => 0.3 * (rng.NextDouble() - 0.5)).ToArray();
        var td = new TorchData(tensor(x).reshape(n, d), tensor(y.Select(v => (long)v).ToArray()), n, 1, c, groups);
        return (LinearModel.Create(LossKind.CrossEntropy, data, Reference.Managed), td, groups, w0);
    }

    public static TheoryData<string, double> Optimizers => new()
    {
        { "gd", 0.5 }, { "gd-m", 0.3 }, { "adam", 0.05 }, { "adam-nm", 0.05 }, { "sign", 0.02 },
        { "sign-m", 0.01 }, { "normalized", 0.2 }, { "normalized-m", 0.1 }, { "adagrad", 0.1 },
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Steps_on_TorchSharp_parameters_equal_the_src_Ode_steps(string name, double lr)
    {
        var (model, data, groups, w0) = Problem();
        var settings = new OptimizerSettings(name, lr);
        using var net = new LinearNet(w0, model.D, model.C);
        var t = TorchTrainer.Run(net, data, settings, new TorchTrainingOptions(5, 1, Chunk: 4));
        var o = TrainingLoop.RunOne(new LinearModelStepper(model, settings.Create(model), groups, w0), new TrainingSchedule(5));
        Assert.Equal(o.Rows.Count, t.Rows.Count);
        for (int i = 0; i < o.Rows.Count; i++)
        {
            Assert.Equal(o.Rows[i].Loss, t.Rows[i].Loss, 1e-13 * Math.Abs(o.Rows[i].Loss));
            for (int g = 0; g < groups.K; g++) Assert.Equal(o.Rows[i].GroupLosses[g], t.Rows[i].GroupLosses[g], 1e-12);
        }
        // final parameters: torch stores Wᵀ (c × d)
        var wt = new ParameterVector(net.Module);
        var flat = new double[wt.Length];
        wt.ReadValues(flat);
        for (int j = 0; j < model.D; j++)
            for (int a = 0; a < model.C; a++)
                Assert.Equal(o.W[j * model.C + a], flat[a * model.D + j], 1e-12);
    }

    [Fact]
    public void One_gd_step_moves_the_parameter_by_minus_lr_times_its_gradient()
    {
        using var lin = nn.Linear(3, 2, dtype: ScalarType.Float32);
        var pv = new ParameterVector(lin);
        Assert.Equal(3 * 2 + 2, pv.Length);
        var w = new double[pv.Length]; pv.ReadValues(w);
        using (var loss = lin.forward(ones(1, 3)).pow(2).sum()) loss.backward();
        var g = new double[pv.Length]; pv.ReadGradients(g);
        var expected = w.Zip(g, (wi, gi) => (float)(wi - 0.1 * gi)).ToArray();
        new OptimizerSettings("gd", 0.1).Create(null).Step(w, g);
        pv.WriteValues(w);
        var after = new double[pv.Length]; pv.ReadValues(after);
        Assert.Equal(expected.Select(v => (double)v), after);
    }

    [Fact]
    public void Chunked_accumulation_gives_the_full_batch_gradient()
    {
        var (model, data, _, w0) = Problem(n: 11);
        double[] Grad(int chunk)
        {
            using var net = new LinearNet(w0, model.D, model.C);
            var pv = new ParameterVector(net.Module);
            pv.ZeroGradients();
            TorchTrainer.Pass(net, data, chunk, new double[data.Rows], backward: true);
            var g = new double[pv.Length]; pv.ReadGradients(g); return g;
        }
        var whole = Grad(11);
        foreach (var chunk in new[] { 1, 3, 5 }) Assert.All(whole.Zip(Grad(chunk)), p => Assert.Equal(p.First, p.Second, 1e-15));
        // and it is src/Analytic's gradient (transposed)
        var g0 = new double[model.ParameterCount];
        model.LossAndGradient(w0, g0);
        for (int j = 0; j < model.D; j++) for (int a = 0; a < model.C; a++) Assert.Equal(g0[j * model.C + a], whole[a * model.D + j], 1e-15);
    }

    [Fact]
    public void A_diverging_run_is_recorded_as_diverged()
    {
        var (model, data, _, w0) = Problem();
        // an overflowing update: Inf in W makes the logits (and the loss) NaN at the next pass
        w0[0] = double.MaxValue;
        using var net = new LinearNet(w0, model.D, model.C);
        var r = TorchTrainer.Run(net, data, new OptimizerSettings("sign", double.MaxValue), new TorchTrainingOptions(10));
        Assert.True(r.Diverged);
        Assert.True(r.StepsDone < 10);
        Assert.False(double.IsFinite(r.Rows[^1].Loss));
        Assert.All(r.Rows[^1].GroupLosses, v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void Minibatch_runs_log_full_data_losses_and_are_reproducible()
    {
        var (model, data, _, w0) = Problem(n: 12);
        TrainingResult Go() { using var net = new LinearNet(w0, model.D, model.C); return TorchTrainer.Run(net, data, new OptimizerSettings("gd", 0.5), new TorchTrainingOptions(6, 2, 2, BatchSize: 4, Seed: 3)); }
        var a = Go(); var b = Go();
        Assert.Equal([0, 2, 4, 6], a.Rows.Select(r => r.Step));
        Assert.Equal(a.Rows.Select(r => r.Loss), b.Rows.Select(r => r.Loss));
        var g = new double[model.ParameterCount];
        Assert.Equal(model.LossAndGradient(w0, g), a.Rows[0].Loss, 1e-14); // row 0 is the full-data loss at W0
        Assert.True(a.Rows[^1].Loss < a.Rows[0].Loss);
    }

    [Fact]
    public void Pcngd_on_a_network_is_a_clear_error()
    {
        var (model, data, _, w0) = Problem();
        using var net = new LinearNet(w0, model.D, model.C);
        var e = Assert.Throws<ArgumentException>(() => TorchTrainer.Run(net, data, new OptimizerSettings("pcngd", 0.1), new TorchTrainingOptions(1)));
        Assert.Contains("linear models", e.Message);
    }

    /// <summary>x ↦ W₂(W₁x), two bias-free float64 layers (named "first" and "second").</summary>
    private sealed class TwoLayerNet : IClassifierNetwork, IDisposable
    {
        private readonly TorchSharp.Modules.Sequential _seq;
        public TwoLayerNet(int d, int h, int c) => _seq = nn.Sequential(("first", nn.Linear(d, h, hasBias: false, dtype: ScalarType.Float64)), ("second", nn.Linear(h, c, hasBias: false, dtype: ScalarType.Float64)));
        public Tensor Logits(Tensor inputs) => _seq.forward(inputs);
        public nn.Module Module => _seq;
        public void Dispose() => _seq.Dispose();
    }

    [Fact]
    public void Block_gradient_norms_are_each_weight_matrix_gradient_norm_at_every_logged_step()
    {
        var (model, data, _, _) = Problem(n: 12);
        manual_seed(3);
        using var net = new TwoLayerNet(model.D, 5, model.C);
        var stepper = new TorchStepper(net, data, new OptimizerSettings("gd", 0.3), new TorchTrainingOptions(4, 2), gradientAtLoggedSteps: true);
        var observer = new ParameterBlockHeterogeneityObserver(stepper);
        var run = TrainingLoop.RunOne(stepper, new TrainingSchedule(4, 2), [observer]);
        Assert.Equal(["step", "cv", "max_min", "grad_norm_first.weight", "grad_norm_second.weight"], observer.Header);
        var rows = observer.Rows(0);
        Assert.Equal([0.0, 2, 4], rows.Select(r => r[0]));
        Assert.NotEqual(rows[0][3], rows[^1][3]); // the gradient moved with the weights
        // the last row (no update follows it) holds the gradient at the final weights: libtorch's norms of a fresh backward pass
        new ParameterVector(net.Module).ZeroGradients();
        TorchTrainer.Pass(net, data, 12, new double[data.Rows], backward: true);
        var expected = net.Module.named_parameters().Select(p => { using var g = p.parameter.grad!; using var n = g.norm(); return n.item<double>(); }).ToArray();
        Assert.Equal(expected[0], rows[^1][3], 1e-12 * expected[0]);
        Assert.Equal(expected[1], rows[^1][4], 1e-12 * expected[1]);
        // two blocks a, b: CV = population std / mean = |a − b| / (a + b), max/min = max(a, b)/min(a, b)
        double a = rows[^1][3], b = rows[^1][4];
        Assert.Equal(Math.Abs(a - b) / (a + b), rows[^1][1], 1e-12);
        Assert.Equal(Math.Max(a, b) / Math.Min(a, b), rows[^1][2], 1e-12);
        Assert.Equal(rows.Count, run.Rows.Count);
    }

    [Fact]
    public void The_gradient_at_logged_steps_needs_full_batch_training()
    {
        var (model, data, _, w0) = Problem(n: 12);
        using var net = new LinearNet(w0, model.D, model.C);
        var e = Assert.Throws<ArgumentException>(() => new TorchStepper(net, data, new OptimizerSettings("gd", 0.1), new TorchTrainingOptions(4, BatchSize: 4), gradientAtLoggedSteps: true));
        Assert.Contains("full-batch", e.Message);
    }

    [Fact]
    public void Models_have_the_documented_output_shapes()
    {
        manual_seed(1);
        using var cnn = new BarcodeCnn(28, 28, 50, 4, 8);
        using (var z = cnn.Logits(rand(3, 1, 28, 28))) Assert.Equal([3L, 50], z.shape);
        using var lm = new TransformerLanguageModel(40, 16, 4, 35);
        using (var z = lm.forward(randint(0, 40, [2, 7]))) Assert.Equal([2L, 7, 40], z.shape);
        using (var z = lm.Logits(randint(0, 40, [2, 7]))) Assert.Equal([14L, 40], z.shape);
        using var pre = new TransformerLanguageModel(40, 16, 4, 35, preNorm: true);
        using (var z = pre.forward(randint(0, 40, [2, 7]))) Assert.Equal([2L, 7, 40], z.shape);
        Assert.True(pre.PreNorm && !lm.PreNorm);
        Assert.Equal(new ParameterVector(lm).Length + 2 * 16, new ParameterVector(pre).Length); // pre-LN adds the final LayerNorm's gain and bias
        using var frozen = new FrozenAttentionClassifier(40, 16, 2, 35);
        using (var f = frozen.Features(randint(0, 40, [2, 7]))) Assert.Equal([2L, 7, 16], f.shape);
        using (var z = frozen.Logits(randint(0, 40, [2, 7]))) Assert.Equal([14L, 40], z.shape);
        Assert.Equal(16 * 40 + 40, new ParameterVector(frozen).Length); // only the classifier trains
    }

    [Fact]
    public void Attention_is_causal_an_output_never_depends_on_later_tokens()
    {
        manual_seed(2);
        using var lm = new TransformerLanguageModel(30, 16, 4, 35);
        using var ids = randint(0, 30, [1, 9]);
        using var changed = ids.clone();
        changed[0, 6] = tensor(ids[0, 6].item<long>() == 0 ? 1L : 0L);
        using var a = lm.forward(ids); using var b = lm.forward(changed);
        using var before = (a.narrow(1, 0, 6) - b.narrow(1, 0, 6)).abs().max();
        using var after = (a.narrow(1, 6, 3) - b.narrow(1, 6, 3)).abs().max();
        Assert.Equal(0f, before.item<float>());
        Assert.True(after.item<float>() > 0);
    }
}

[Collection(TorchCollection.Name)]
public class FinalizerFenceTests
{
    [Fact]
    public void The_fence_runs_the_block_without_a_collection_and_restores_the_latency_mode()
    {
        var before = System.Runtime.GCSettings.LatencyMode;
        int gen0 = -1;
        var result = FinalizerFence.Run(() =>
        {
            gen0 = GC.CollectionCount(0);
            var garbage = Enumerable.Range(0, 10_000).Select(i => new byte[64]).ToList(); // ~1 MB, inside the budget
            Assert.Equal(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
            Assert.Equal(7, FinalizerFence.Run(() => 7)); // nested: runs inside the same region
            Assert.Equal(gen0, GC.CollectionCount(0));
            return garbage.Count;
        });
        Assert.Equal(10_000, result);
        Assert.Equal(before, System.Runtime.GCSettings.LatencyMode);
        Assert.Throws<InvalidOperationException>(() => FinalizerFence.Run<int>(() => throw new InvalidOperationException("x")));
        Assert.Equal(before, System.Runtime.GCSettings.LatencyMode);
    }
}
