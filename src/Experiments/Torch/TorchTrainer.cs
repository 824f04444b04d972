using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HeavyTail.Experiments.Torch;

/// <summary>
/// A classification data set held as tensors: <see cref="Inputs"/> has one sample per leading index (an image, or a
/// sequence of token ids) and each sample yields <see cref="RowsPerSample"/> rows of logits (1 for images, T for
/// sequences); <see cref="Targets"/> holds one class per row, in the same order.
/// </summary>
public sealed record TorchData(Tensor Inputs, Tensor Targets, int Samples, int RowsPerSample, int Classes, FrequencyGroups Groups)
{
    public int Rows => Samples * RowsPerSample;
    public int[] TargetArray { get; } = Longs(Targets).Select(v => (int)v).ToArray();

    private static long[] Longs(Tensor t)
    {
        using var c = t.contiguous();
        var a = new long[c.numel()];
        c.data<long>().CopyTo(a, 0, 0);
        return a;
    }
}

/// <summary>Training settings: steps, logging, samples per forward chunk, and an optional minibatch size (null = full batch).</summary>
public sealed record TorchTrainingOptions(int Steps, int LogEvery = 1, int Chunk = 512, int? BatchSize = null, long Seed = 0);

/// <summary>
/// Trains a TorchSharp classifier with one of the toolkit's optimizers (<see cref="ParameterVector"/>) through the one
/// <see cref="TrainingLoop"/>. Full batch: the gradient of L = (1/R) Σ_rows ℓ_r is accumulated over chunks of samples (each
/// chunk's Σ ℓ_r / R is back-propagated), and the same pass gives the loss and per-group losses at the current parameters,
/// so row t of the trajectory is the state after t updates, as for the linear models. With a minibatch size, each step's
/// gradient is that of a batch drawn without replacement (seeded reshuffle per epoch) and the logged losses come from an
/// extra full pass. A non-finite loss or parameter stops the run as diverged.
/// </summary>
public static class TorchTrainer
{
    public static TrainingResult Run(IClassifierNetwork net, TorchData data, OptimizerSettings settings, TorchTrainingOptions o,
        Action<int>? progress = null, CancellationToken cancel = default)
    {
        if (o.LogEvery < 1 || o.Chunk < 1) throw new ArgumentException("log-every and chunk must be at least 1.");
        var schedule = new TrainingSchedule(o.Steps, o.LogEvery);
        return TrainingLoop.RunOne(new TorchStepper(net, data, settings, o), schedule, null, progress, cancel);
    }

    /// <summary>One pass over all samples: per-row losses into <paramref name="rowLoss"/>, the mean loss returned, and when
    /// <paramref name="backward"/> the gradient of the mean loss accumulated into the parameters' .grad.</summary>
    public static double Pass(IClassifierNetwork net, TorchData data, int chunk, double[] rowLoss, bool backward) =>
        FinalizerFence.Run(() => PassUnfenced(net, data, chunk, rowLoss, backward));

    private static double PassUnfenced(IClassifierNetwork net, TorchData data, int chunk, double[] rowLoss, bool backward)
    {
        using var grad = backward ? enable_grad() : no_grad();
        for (int start = 0; start < data.Samples; start += chunk)
        {
            using var scope = NewDisposeScope();
            int len = Math.Min(chunk, data.Samples - start);
            var x = data.Inputs.narrow(0, start, len);
            var y = data.Targets.narrow(0, (long)start * data.RowsPerSample, (long)len * data.RowsPerSample);
            var losses = F.cross_entropy(net.Logits(x), y, reduction: nn.Reduction.None); // log-softmax with the max subtracted
            if (backward) (losses.sum() / data.Rows).backward();
            CopyOut(losses.detach(), rowLoss, start * data.RowsPerSample);
        }
        return Mean(rowLoss);
    }

    internal static double BatchGradient(IClassifierNetwork net, TorchData data, int[] ids, int chunk)
    {
        double sum = 0;
        long rowsInBatch = (long)ids.Length * data.RowsPerSample;
        for (int start = 0; start < ids.Length; start += chunk)
        {
            using var scope = NewDisposeScope();
            var idx = tensor(ids[start..Math.Min(ids.Length, start + chunk)].Select(i => (long)i).ToArray());
            var x = data.Inputs.index_select(0, idx);
            var y = data.Targets.view(data.Samples, data.RowsPerSample).index_select(0, idx).reshape(-1);
            var losses = F.cross_entropy(net.Logits(x), y, reduction: nn.Reduction.None);
            var s = losses.sum();
            (s / rowsInBatch).backward();
            sum += s.to_type(ScalarType.Float64).item<double>();
        }
        return sum / rowsInBatch;
    }

    private static void CopyOut(Tensor losses, double[] dst, int offset)
    {
        using var d = losses.to_type(ScalarType.Float64).contiguous();
        var tmp = new double[d.numel()];
        d.data<double>().CopyTo(tmp, 0, 0);
        Array.Copy(tmp, 0, dst, offset, tmp.Length);
    }

    private static double Mean(double[] v)
    {
        var s = new CompensatedSum();
        foreach (var x in v) s.Add(x);
        return s.Value / v.Length;
    }

    /// <summary>Mean loss of the rows whose target class lies in each group (NaN for an empty group).</summary>
    public static double[] GroupLosses(double[] rowLoss, TorchData data)
    {
        int k = data.Groups.K;
        var sums = new double[k]; var counts = new long[k];
        var targets = data.TargetArray;
        for (int r = 0; r < rowLoss.Length; r++) { int gi = data.Groups.GroupOf[targets[r]]; sums[gi] += rowLoss[r]; counts[gi]++; }
        return Enumerable.Range(0, k).Select(i => counts[i] == 0 ? double.NaN : sums[i] / counts[i]).ToArray();
    }

    internal static int[] Permutation(int n, SeededRandom rng)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (p[i], p[j]) = (p[j], p[i]); }
        return p;
    }
}

/// <summary>The stepper of one TorchSharp network: the parameters as a flat double vector updated by a src/Ode optimizer.</summary>
public sealed class TorchStepper : IStepper
{
    private readonly IClassifierNetwork _net;
    private readonly TorchData _data;
    private readonly TorchTrainingOptions _o;
    private readonly Optimizer _optimizer;
    private readonly ParameterVector _pv;
    private readonly double[] _w, _g, _rowLoss, _loss = new double[1];
    private readonly SeededRandom _rng;
    private int[]? _order;
    private int _cursor;

    private readonly bool _gradientAtLoggedSteps;

    /// <param name="gradientAtLoggedSteps">also back-propagate at a logged step that is not followed by an update (the last), so
    /// that <see cref="Gradient"/> holds ∇L at every logged iterate (full batch only).</param>
    public TorchStepper(IClassifierNetwork net, TorchData data, OptimizerSettings settings, TorchTrainingOptions o, bool gradientAtLoggedSteps = false)
    {
        if (o.Steps < 0) throw new ArgumentException($"steps = {o.Steps} must be ≥ 0.");
        if (o.BatchSize is int bs && (bs < 1 || bs > data.Samples)) throw new ArgumentException($"batch size {bs} must be in 1..{data.Samples}.");
        if (gradientAtLoggedSteps && o.BatchSize != null) throw new ArgumentException("the full-batch gradient at logged steps needs full-batch training (no batch size).");
        _gradientAtLoggedSteps = gradientAtLoggedSteps;
        TorchSession.Ensure();
        _net = net; _data = data; _o = o;
        _optimizer = settings.Create(null);
        _pv = new ParameterVector(net.Module);
        _w = new double[_pv.Length];
        _g = new double[_pv.Length];
        _pv.ReadValues(_w);
        _rowLoss = new double[data.Rows];
        _rng = new SeededRandom(o.Seed);
        net.Module.train();
    }

    public int Runs => 1;
    public int Groups => _data.Groups.K;

    public ReadOnlySpan<double> Evaluate(bool logged, bool willUpdate)
    {
        if (!Array.TrueForAll(_w, double.IsFinite)) { _loss[0] = double.NaN; return _loss; }
        double loss;
        if (_o.BatchSize is not int batch)
        {
            _pv.ZeroGradients();
            loss = TorchTrainer.Pass(_net, _data, _o.Chunk, _rowLoss, backward: willUpdate || (logged && _gradientAtLoggedSteps));
        }
        else
        {
            loss = logged ? TorchTrainer.Pass(_net, _data, _o.Chunk, _rowLoss, backward: false) : double.NaN;
            if (willUpdate)
            {
                if (_order == null || _cursor + batch > _order.Length) { _order = TorchTrainer.Permutation(_data.Samples, _rng); _cursor = 0; }
                _pv.ZeroGradients();
                var ids = _order.AsSpan(_cursor, batch).ToArray();
                double batchLoss = FinalizerFence.Run(() => TorchTrainer.BatchGradient(_net, _data, ids, _o.Chunk));
                _cursor += batch;
                if (!logged) loss = batchLoss;
            }
        }
        _loss[0] = loss;
        return _loss;
    }

    public double[] GroupLosses(int run) => TorchTrainer.GroupLosses(_rowLoss, _data);

    public void Update(ReadOnlySpan<bool> active)
    {
        if (!active[0]) return;
        _pv.ReadGradients(_g);
        _optimizer.Step(_w, _g);
        if (Array.TrueForAll(_w, double.IsFinite)) _pv.WriteValues(_w);
    }

    public double[] Weights(int run) => (double[])_w.Clone();

    /// <summary>The trainable parameters, in the order of the flat vectors.</summary>
    public ParameterVector Parameters => _pv;

    /// <summary>The full-batch gradient ∇L at the iterate of the last <see cref="Evaluate"/> that back-propagated, flattened.</summary>
    public double[] Gradient()
    {
        var g = new double[_pv.Length];
        _pv.ReadGradients(g);
        return g;
    }
}

/// <summary>
/// Tomihari &amp; Sato's gradient heterogeneity over a network's parameter blocks at each logged iterate: the Frobenius norm
/// of ∇L restricted to each weight matrix (every trainable parameter of two or more dimensions — embeddings, attention,
/// MLP, decoder; biases and LayerNorm gains are left out), their coefficient of variation std/mean and max/min.
/// Columns step, cv, max_min, then one norm per block (named after the module path).
/// </summary>
public sealed class ParameterBlockHeterogeneityObserver : TableObserver
{
    public const string TableName = "block-gradients";

    private readonly TorchStepper _stepper;
    private readonly int[] _blocks;

    public ParameterBlockHeterogeneityObserver(TorchStepper stepper) : base(1)
    {
        _stepper = stepper;
        _blocks = Enumerable.Range(0, stepper.Parameters.Parameters.Count).Where(i => stepper.Parameters.Parameters[i].dim() >= 2).ToArray();
        if (_blocks.Length < 2) throw new ArgumentException("gradient heterogeneity needs at least two weight matrices.");
        Header = ["step", "cv", "max_min", .. _blocks.Select(i => $"grad_norm_{stepper.Parameters.Names[i]}")];
    }

    public override string Name => TableName;
    public override IReadOnlyList<string> Header { get; }

    protected override double[] Measure(int run, int step, double loss, IStepper stepper)
    {
        var g = _stepper.Gradient();
        var norms = _blocks.Select(i => _stepper.Parameters.BlockNorm(g, i)).ToArray();
        var h = HeavyTail.Analytic.Statistics.GradientHeterogeneity.FromBlockNorms(norms);
        return [h.CoefficientOfVariation, h.MaxMinRatio, .. norms];
    }
}
