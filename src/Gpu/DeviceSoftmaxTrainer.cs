using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Gpu;

/// <summary>Per-run step parameters passed to the update kernel (bias corrections computed on the host in double); public because ILGPU compiles kernels in its own assembly.</summary>
public readonly record struct RunParameters(int Rule, int Active, int First, float Lr, float Momentum, float Beta1, float Beta2, float Eps, float StepSize, float Bc2Sqrt, float Decay = 1f);

/// <summary>
/// Full-batch softmax regression trained on the accelerator: X (n × d), the labels, the weights of R runs side by side
/// (W = [W_1 … W_R], d × R·c), the logits, the gradient and every optimizer state stay on the device across steps; each
/// step sends R small parameter records and brings back R losses. Runs are src/Ode's optimizers (<see cref="OptimizerSettings"/>)
/// whose <see cref="OptimizerDescriptor.Device"/> rule is set; in float32, with PyTorch semantics as src/Ode.
/// </summary>
/// <remarks>
/// A step: Z = XW (one GEMM for all runs: cuBLAS on CUDA, the ILGPU kernel elsewhere); per (row, run) the fused softmax
/// cross-entropy pass writes (1/n)(P − Y) into Z and ℓ_i into a loss buffer; G = XᵀZ (one GEMM); one element-wise kernel
/// applies each run's optimizer to its d × c block; a reduction kernel sums the losses of each run in double. A run whose
/// loss is not finite is marked diverged and frozen (its block is no longer updated), without disturbing the others.
/// </remarks>
public sealed class DeviceSoftmaxTrainer : IStepper, IDisposable
{
    private readonly IlgpuProvider _gpu;
    private readonly int _n, _d, _c;
    private readonly OptimizerSettings[] _runs;
    private readonly OptimizerDescriptor[] _kinds;
    private readonly RunParameters[] _pending;
    private readonly bool[] _allActive;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _x, _w, _z, _g, _m, _v, _rowLoss;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _y;
    private readonly MemoryBuffer1D<RunParameters, Stride1D.Dense> _params;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _lossSum, _groupSum;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _groupOf;
    private readonly int _groups;
    private readonly int[] _groupCount;
    private readonly double[] _groupSumHost;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<double>, int, int> _groupSumKernel;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, float> _rows;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<RunParameters>, ArrayView<float>, int, int> _update;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, int, int, int> _normPartial;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<float>, int> _normFinish;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _normParts;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _invNorm;
    private readonly int _normChunks;
    private const int NormChunk = 4096;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, int> _sum;
    private readonly bool[] _diverged;
    private readonly double[] _losses;
    private int _t;

    /// <param name="groupOfSample">Optional group index (0..K−1) of each sample, e.g. the frequency group of its label:
    /// then a logged <see cref="Evaluate"/> also sums the losses per (run, group) on the device.</param>
    public DeviceSoftmaxTrainer(IlgpuProvider gpu, float[] x, int[] labels, int n, int d, int c, IReadOnlyList<OptimizerSettings> runs, int[]? groupOfSample = null)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        Analytic.Guard.Positive(n, nameof(n)); Analytic.Guard.Positive(d, nameof(d)); Analytic.Guard.Positive(c, nameof(c));
        Analytic.Guard.Length(x.Length, n * d, nameof(x), $"n×d = {n}×{d}");
        Analytic.Guard.Length(labels.Length, n, nameof(labels), "one label per row");
        Analytic.Guard.Labels(labels, c, nameof(labels));
        if (runs.Count == 0) throw new ArgumentException("at least one run is needed.", nameof(runs));
        foreach (var r in runs)
        {
            if (r.Descriptor.Device == null)
                throw new ArgumentException($"optimizer '{r.Name}' does not run on the device; choose one of: {string.Join(", ", Supported)}.", nameof(runs));
            if (!double.IsFinite(r.Lr) || r.Lr < 0) throw new ArgumentException($"learning rate {r.Lr} must be finite and ≥ 0.", nameof(runs));
        }
        for (long i = 0; i < x.Length; i++)
            if (!float.IsFinite(x[i])) throw new ArgumentException($"x[{i / d}, {i % d}] is {x[i]}: inputs must be finite.", nameof(x));
        _gpu = gpu; _n = n; _d = d; _c = c; _runs = [.. runs];
        _kinds = _runs.Select(r => r.Descriptor).ToArray();
        _allActive = Enumerable.Repeat(true, _runs.Length).ToArray();
        _pending = new RunParameters[_runs.Length];
        int wc = c * _runs.Length;
        var acc = gpu.Accelerator;
        _x = acc.Allocate1D(x);
        _y = acc.Allocate1D(labels);
        _w = acc.Allocate1D<float>((long)d * wc); _w.MemSetToZero();
        _g = acc.Allocate1D<float>((long)d * wc);
        _m = acc.Allocate1D<float>((long)d * wc); _m.MemSetToZero();
        _v = acc.Allocate1D<float>((long)d * wc); _v.MemSetToZero();
        _z = acc.Allocate1D<float>((long)n * wc);
        _rowLoss = acc.Allocate1D<float>((long)n * _runs.Length);
        _lossSum = acc.Allocate1D<double>(_runs.Length);
        _params = acc.Allocate1D<RunParameters>(_runs.Length);
        _rows = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, float>(RowsKernel);
        _update = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<RunParameters>, ArrayView<float>, int, int>(UpdateKernel);
        _normPartial = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int, int, int>(NormPartialKernel);
        _normFinish = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<float>, int>(NormFinishKernel);
        _normChunks = (int)(((long)d * c + NormChunk - 1) / NormChunk);
        _normParts = acc.Allocate1D<double>((long)_runs.Length * _normChunks);
        _invNorm = acc.Allocate1D<float>(_runs.Length); _invNorm.MemSetToZero();
        _sum = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int>(SumKernel);
        _diverged = new bool[_runs.Length];
        _losses = new double[_runs.Length];
        var groupOf = groupOfSample ?? new int[n];
        Analytic.Guard.Length(groupOf.Length, n, nameof(groupOfSample), "one group per sample");
        if (groupOf.Any(g => g < 0)) throw new ArgumentException("group indices must be ≥ 0.", nameof(groupOfSample));
        _groups = groupOf.Max() + 1;
        _groupCount = new int[_groups];
        foreach (var g in groupOf) _groupCount[g]++;
        _groupOf = acc.Allocate1D(groupOf);
        _groupSum = acc.Allocate1D<double>((long)_runs.Length * _groups);
        _groupSumHost = new double[_runs.Length * _groups];
        _groupSumKernel = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<double>, int, int>(GroupSumKernel);
        acc.Synchronize();
    }

    /// <summary>The number of runs trained side by side (one W and optimizer state each).</summary>
    public int Runs => _runs.Length;
    /// <summary>The number of steps taken.</summary>
    public int StepCount => _t;
    /// <summary>Per run: true once its loss became non-finite (the run is then no longer stepped).</summary>
    public IReadOnlyList<bool> Diverged => _diverged;
    /// <summary>The number of frequency groups whose losses the trainer reports.</summary>
    public int Groups => _groups;

    /// <summary>Mean loss of each group's samples for run r at W before the last step taken with <c>withGroups</c> (NaN for an empty group).</summary>
    public double[] GroupLosses(int run) =>
        Enumerable.Range(0, _groups).Select(g => _groupCount[g] > 0 ? _groupSumHost[run * _groups + g] / _groupCount[g] : double.NaN).ToArray();

    /// <summary>The optimizers the device runs (those with a <see cref="OptimizerDescriptor.Device"/> rule).</summary>
    public static IReadOnlyList<string> Supported { get; } = OptimizerCatalog.All.Where(o => o.Device != null).Select(o => o.Name).ToArray();

    /// <summary>
    /// Every run's mean loss at its current W (NaN/∞ once diverged): Z = XW, the fused row pass, G = XᵀZ, the loss sums
    /// (and the per-group sums when <paramref name="logged"/>). A run whose loss is not finite is marked diverged and frozen.
    /// </summary>
    public ReadOnlySpan<double> Evaluate(bool logged, bool willUpdate)
    {
        int runs = _runs.Length, wc = _c * runs, t = _t + 1;
        for (int r = 0; r < runs; r++)
        {
            var q = _runs[r]; var o = _kinds[r];
            double b1 = o.Beta1(q);
            double bc1 = 1 - Math.Pow(b1, t), bc2 = 1 - Math.Pow(q.Beta2, t);
            _pending[r] = new RunParameters((int)o.Device!.Value, _diverged[r] ? 0 : 1, t == 1 ? 1 : 0, (float)q.Lr, (float)q.Momentum, (float)b1, (float)q.Beta2,
                (float)o.Eps(q), (float)(q.Lr / bc1), (float)Math.Sqrt(bc2), (float)(1 - q.Lr * q.WeightDecay));
        }
        var acc = _gpu.Accelerator;
        _gpu.GemmOnDevice(false, false, _n, wc, _d, 1f, _x.View, _d, _w.View, wc, 0f, _z.View, wc);
        _rows(_n * runs, _z.View, _y.View, _rowLoss.View, _n, _c, runs, 1f / _n);
        _gpu.GemmOnDevice(true, false, _d, wc, _n, 1f, _x.View, _d, _z.View, wc, 0f, _g.View, wc);
        _sum(runs, _rowLoss.View, _lossSum.View, _n);
        if (logged) _groupSumKernel(runs * _groups, _rowLoss.View, _groupOf.View, _groupSum.View, _n, _groups);
        acc.Synchronize();
        _lossSum.CopyToCPU(_losses);
        if (logged) _groupSum.CopyToCPU(_groupSumHost);
        for (int r = 0; r < runs; r++)
        {
            _losses[r] /= _n;
            if (!_diverged[r] && !double.IsFinite(_losses[r])) { _diverged[r] = true; _pending[r] = _pending[r] with { Active = 0 }; }
        }
        return _losses;
    }

    /// <summary>One step of every active run that has not diverged, from the gradient of the last <see cref="Evaluate"/>.</summary>
    public void Update(ReadOnlySpan<bool> active)
    {
        int runs = _runs.Length, wc = _c * runs;
        _t++;
        for (int r = 0; r < runs; r++) if (!active[r]) _pending[r] = _pending[r] with { Active = 0 };
        _params.CopyFromCPU(_pending);
        if (_kinds.Any(o => o.NeedsGradientNorm))
        {
            _normPartial(runs * _normChunks, _g.View, _normParts.View, _d * _c, _c, runs);
            _normFinish(runs, _normParts.View, _invNorm.View, _normChunks);
        }
        _update(_d * wc, _w.View, _g.View, _m.View, _v.View, _params.View, _invNorm.View, _c, wc);
        _gpu.Accelerator.Synchronize();
    }

    /// <summary>One evaluation and update of every run (the benchmark's unit); returns the losses at W before the step.</summary>
    public ReadOnlySpan<double> Step(bool withGroups = false)
    {
        var loss = Evaluate(withGroups, true);
        Update(_allActive);
        return loss;
    }

    double[] IStepper.Weights(int run) => Weights(run).Select(v => (double)v).ToArray();

    /// <summary>Run r's weights, d × c row-major (index j·c + a), copied from the device.</summary>
    public float[] Weights(int run)
    {
        if ((uint)run >= (uint)_runs.Length) throw new ArgumentOutOfRangeException(nameof(run), $"run {run} outside 0..{_runs.Length - 1}.");
        var all = _w.GetAsArray1D();
        int wc = _c * _runs.Length;
        var w = new float[_d * _c];
        for (int j = 0; j < _d; j++) Array.Copy(all, j * wc + run * _c, w, j * _c, _c);
        return w;
    }

    /// <summary>Index (r·n + i): row i of run r, weight 1/n; ℓ to losses[r·n + i].</summary>
    private static void RowsKernel(Index1D idx, ArrayView<float> z, ArrayView<int> labels, ArrayView<float> losses, int n, int c, int runs, float invN)
    {
        int i = idx % n, r = idx / n;
        losses[idx] = IlgpuProvider.CrossEntropyRowPass(z, i * runs * c + r * c, c, labels[i], invN);
    }

    private static float SignOf(float x) => x > 0 ? 1f : x < 0 ? -1f : 0f;

    private static void UpdateKernel(Index1D idx, ArrayView<float> w, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v,
        ArrayView<RunParameters> parameters, ArrayView<float> invNorm, int c, int wc)
    {
        int run = (idx % wc) / c;
        var q = parameters[run];
        if (q.Active == 0) return;
        float gi = g[idx];
        // the one device-side switch on src/Ode's DeviceUpdateRule
        if (q.Rule == (int)DeviceUpdateRule.Gd) w[idx] -= q.Lr * gi;
        else if (q.Rule == (int)DeviceUpdateRule.Adagrad)
        {
            float si = v[idx] + gi * gi;
            v[idx] = si;
            w[idx] -= q.Lr * (gi / (XMath.Sqrt(si) + q.Eps));
        }
        else if (q.Rule == (int)DeviceUpdateRule.Normalized) w[idx] -= q.Lr * (gi * invNorm[run]);
        else if (q.Rule == (int)DeviceUpdateRule.HeavyBall || q.Rule == (int)DeviceUpdateRule.SignMomentum || q.Rule == (int)DeviceUpdateRule.NormalizedMomentum)
        {
            float dir = q.Rule == (int)DeviceUpdateRule.HeavyBall ? gi : q.Rule == (int)DeviceUpdateRule.SignMomentum ? SignOf(gi) : gi * invNorm[run];
            float b = q.First != 0 ? dir : q.Momentum * m[idx] + dir;
            m[idx] = b;
            w[idx] -= q.Lr * b;
        }
        else if (q.Rule == (int)DeviceUpdateRule.Sign) w[idx] -= q.Lr * SignOf(gi);
        else if (q.Rule == (int)DeviceUpdateRule.Signum)
        {
            float mi = m[idx] * q.Momentum + (1f - q.Momentum) * gi;
            m[idx] = mi;
            w[idx] -= q.Lr * SignOf(mi);
        }
        else if (q.Rule == (int)DeviceUpdateRule.Lion)
        {
            float u = SignOf(m[idx] * q.Beta1 + gi * (1f - q.Beta1));
            w[idx] = w[idx] * q.Decay - q.Lr * u;
            m[idx] = m[idx] * q.Beta2 + gi * (1f - q.Beta2);
        }
        else // DeviceUpdateRule.Adam (adam-nm: β₁ = 0)
        {
            float mi = m[idx] + (gi - m[idx]) * (1f - q.Beta1);
            float vi = v[idx] * q.Beta2 + (1f - q.Beta2) * gi * gi;
            m[idx] = mi; v[idx] = vi;
            w[idx] -= q.StepSize * (mi / (XMath.Sqrt(vi) / q.Bc2Sqrt + q.Eps));
        }
    }

    /// <summary>
    /// Index r·chunks + k: parts[idx] = Σ g² over elements e ∈ [k·4096, (k+1)·4096) of run r's d × c block (element e is
    /// row e / c, column r·c + e % c of the wide gradient), in double.
    /// </summary>
    private static void NormPartialKernel(Index1D idx, ArrayView<float> g, ArrayView<double> parts, int dc, int c, int runs)
    {
        int chunks = (dc + NormChunk - 1) / NormChunk;
        int r = idx / chunks, k = idx % chunks;
        int e1 = XMath.Min(dc, (k + 1) * NormChunk);
        double s = 0;
        for (int e = k * NormChunk; e < e1; e++)
        {
            double x = g[(e / c) * runs * c + r * c + e % c];
            s += x * x;
        }
        parts[idx] = s;
    }

    /// <summary>invNorm[r] = 1/‖g_r‖ from the partial sums (0 when g_r = 0: no step, as src/Ode).</summary>
    private static void NormFinishKernel(Index1D r, ArrayView<double> parts, ArrayView<float> invNorm, int chunks)
    {
        double s = 0;
        for (int k = 0; k < chunks; k++) s += parts[r * chunks + k];
        invNorm[r] = s > 0 ? (float)(1.0 / XMath.Sqrt(s)) : 0f;
    }

    /// <summary>sums[r] = Σ_i losses[r·n + i], accumulated in double.</summary>
    private static void SumKernel(Index1D r, ArrayView<float> losses, ArrayView<double> sums, int n)
    {
        double s = 0;
        for (int i = 0; i < n; i++) s += losses[r * n + i];
        sums[r] = s;
    }

    /// <summary>Index r·K + g: sums[r·K + g] = Σ_{i: group(i) = g} losses[r·n + i], in double.</summary>
    private static void GroupSumKernel(Index1D idx, ArrayView<float> losses, ArrayView<int> groupOf, ArrayView<double> sums, int n, int groups)
    {
        int r = idx / groups, g = idx % groups;
        double s = 0;
        for (int i = 0; i < n; i++) if (groupOf[i] == g) s += losses[r * n + i];
        sums[idx] = s;
    }

    /// <summary>Frees the trainer's device buffers.</summary>
    public void Dispose()
    {
        foreach (var b in new MemoryBuffer[] { _x, _w, _z, _g, _m, _v, _rowLoss, _y, _params, _lossSum, _groupSum, _groupOf, _normParts, _invNorm }) b.Dispose();
    }
}
