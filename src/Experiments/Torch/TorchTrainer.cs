using System.Diagnostics;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Ode.Optimizers;
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
/// Trains a TorchSharp classifier with one of the toolkit's optimizers (<see cref="ParameterVector"/>). Full batch:
/// the gradient of L = (1/R) Σ_rows ℓ_r is accumulated over chunks of samples (each chunk's Σ ℓ_r / R is back-propagated),
/// and the same pass gives the loss and per-group losses at the current parameters, so row t of the trajectory is the
/// state after t updates, as for the linear models. With a minibatch size, each step's gradient is that of a batch
/// drawn without replacement (seeded reshuffle per epoch) and the logged losses come from an extra full pass.
/// A non-finite loss or parameter stops the run as diverged.
/// </summary>
public static class TorchTrainer
{
    public static TrainingResult Run(IClassifierNetwork net, TorchData data, OptimizerSettings settings, TorchTrainingOptions o,
        Action<int>? progress = null, CancellationToken cancel = default)
    {
        if (o.Steps < 0) throw new ArgumentException($"steps = {o.Steps} must be ≥ 0.");
        if (o.LogEvery < 1 || o.Chunk < 1) throw new ArgumentException("log-every and chunk must be at least 1.");
        if (o.BatchSize is int bs && (bs < 1 || bs > data.Samples)) throw new ArgumentException($"batch size {bs} must be in 1..{data.Samples}.");
        TorchSession.Ensure();
        var optimizer = settings.Create(null);
        var pv = new ParameterVector(net.Module);
        var w = new double[pv.Length];
        var g = new double[pv.Length];
        pv.ReadValues(w);
        var rowLoss = new double[data.Rows];
        var rows = new List<TrainingRow>();
        var rng = new SeededRandom(o.Seed);
        int[]? order = null; int cursor = 0;
        var sw = Stopwatch.StartNew();
        net.Module.train();
        for (int t = 0; ; t++)
        {
            cancel.ThrowIfCancellationRequested();
            bool log = t % o.LogEvery == 0 || t == o.Steps;
            double loss;
            if (o.BatchSize is not int batch)
            {
                pv.ZeroGradients();
                loss = Pass(net, data, o.Chunk, rowLoss, backward: t < o.Steps);
            }
            else
            {
                loss = log ? Pass(net, data, o.Chunk, rowLoss, backward: false) : double.NaN;
                if (t < o.Steps)
                {
                    if (order == null || cursor + batch > order.Length) { order = Permutation(data.Samples, rng); cursor = 0; }
                    pv.ZeroGradients();
                    var ids = order.AsSpan(cursor, batch).ToArray();
                    double batchLoss = FinalizerFence.Run(() => BatchGradient(net, data, ids, o.Chunk));
                    cursor += batch;
                    if (!log) loss = batchLoss;
                }
            }
            bool diverged = !double.IsFinite(loss);
            if (diverged || log)
                rows.Add(new TrainingRow(t, loss, diverged ? Enumerable.Repeat(double.NaN, data.Groups.K).ToArray() : GroupLosses(rowLoss, data)));
            if (diverged) return new TrainingResult(rows, w, true, t, sw.Elapsed.TotalSeconds);
            if (t == o.Steps) return new TrainingResult(rows, w, false, t, sw.Elapsed.TotalSeconds);
            pv.ReadGradients(g);
            optimizer.Step(w, g);
            if (!Array.TrueForAll(w, double.IsFinite))
            {
                rows.Add(new TrainingRow(t + 1, double.NaN, Enumerable.Repeat(double.NaN, data.Groups.K).ToArray()));
                return new TrainingResult(rows, w, true, t + 1, sw.Elapsed.TotalSeconds);
            }
            pv.WriteValues(w);
            progress?.Invoke(t + 1);
        }
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

    private static double BatchGradient(IClassifierNetwork net, TorchData data, int[] ids, int chunk)
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

    private static int[] Permutation(int n, SeededRandom rng)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (p[i], p[j]) = (p[j], p[i]); }
        return p;
    }
}
