using HeavyTail.Analytic.LinearAlgebra;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace HeavyTail.Gpu;

/// <summary>Sizes and flags of one GEMM, passed to the kernel by value.</summary>
public readonly record struct GemmShape(int M, int N, int K, int Lda, int Ldb, int Ldc, int TransA, int TransB, float Alpha, float Beta);

/// <summary>
/// The batched linear algebra on ILGPU in float32: GEMM (cuBLAS on CUDA, an ILGPU kernel elsewhere), row log-softmax and the
/// fused softmax cross-entropy gradient as ILGPU kernels. Runs on CUDA when a GPU is present and on ILGPU's CPU accelerator
/// otherwise, so the same kernels are tested everywhere. The double-precision entry points round to float32 on the way in
/// and widen on the way out: results carry float32 accuracy (see the contract tests for the stated tolerances).
/// </summary>
public sealed class IlgpuProvider : ILinearAlgebraProvider, IDisposable
{
    private readonly Context _context;
    private readonly Accelerator _acc;
    private readonly CuBlas<CuBlasPointerModeHandlers.AutomaticMode>? _blas;
    private readonly Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape> _gemm;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape> _tiledGemm;
    private readonly int _tile;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int> _softmaxCe;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> _logSoftmax;
    private readonly object _lock = new();

    private IlgpuProvider(bool preferCuda)
    {
        _context = Context.Create(b => b.Default().EnableAlgorithms());
        Device? device = preferCuda && _context.GetCudaDevices().Count > 0 ? _context.GetCudaDevices()[0] : null;
        _acc = device != null ? device.CreateAccelerator(_context) : _context.CreateCPUAccelerator(0);
        if (_acc is CudaAccelerator cuda)
        {
            try { _blas = new CuBlas<CuBlasPointerModeHandlers.AutomaticMode>(cuda); }
            catch (Exception) { _blas = null; } // no libcublas: fall back to the ILGPU kernel
        }
        _gemm = _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>(GemmKernel);
        _tiledGemm = _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>(TiledGemmKernel);
        _tile = Math.Max(1, Math.Min(MaxTile, (int)Math.Sqrt(_acc.MaxNumThreadsPerGroup)));
        UseTiledGemm = TiledByDefault;
        _softmaxCe = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int>(SoftmaxCrossEntropyKernel);
        _logSoftmax = _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(LogSoftmaxKernel);
    }

    /// <summary>
    /// Which GEMM runs when cuBLAS is absent: the shared-memory tiled kernel (default on GPUs) or one thread per entry of C
    /// (default on ILGPU's CPU accelerator, which emulates group barriers with OS threads: measured there, the tiled kernel
    /// ran a 128³ GEMM in 11 s against 0.07 s for the per-entry kernel).
    /// </summary>
    public bool UseTiledGemm { get; set; }

    /// <summary>CUDA when <paramref name="preferCuda"/> and a GPU is present, else ILGPU's CPU accelerator.</summary>
    public static IlgpuProvider Create(bool preferCuda = true) => new(preferCuda);

    /// <summary>The CUDA backend, or null when no CUDA device is present.</summary>
    public static IlgpuProvider? TryCreateCuda()
    {
        try
        {
            var p = new IlgpuProvider(true);
            if (p.IsCuda) return p;
            p.Dispose();
        }
        catch (Exception) { }
        return null;
    }

    /// <summary>True when the accelerator is a CUDA device (false: ILGPU's CPU accelerator).</summary>
    public bool IsCuda => _acc is CudaAccelerator;
    /// <summary>True: the ILGPU backends compute in float32.</summary>
    public bool SinglePrecision => true;
    /// <summary>gpu or ilgpu-cpu; with a suffix when the GEMM kernel differs from the device's default (see <see cref="UseTiledGemm"/>).</summary>
    public string Name => (IsCuda ? "gpu" : "ilgpu-cpu") + (_blas != null || UseTiledGemm == TiledByDefault ? "" : UseTiledGemm ? "-tiled" : "-naive");

    private bool TiledByDefault => _acc is not CPUAccelerator;
    /// <summary>The accelerator's device name (e.g. the GPU model).</summary>
    public string Device => _acc.Name;

    /// <summary>Host threads of the row passes that run on the host (the HVP, curvature and gradient-sign passes).</summary>
    public int Threads { get; private set; } = Environment.ProcessorCount;

    /// <summary>"gpu": CUDA only (unavailable without a CUDA device).</summary>
    public static readonly LinearAlgebraBackend Cuda = new("gpu", "ILGPU on CUDA, float32 (cuBLAS GEMM when present)",
        t => TryCreateCuda() is { } p ? WithThreads(p, t) : null, "") { Float32Only = true };

    /// <summary>"ilgpu-cpu": the same kernels on ILGPU's CPU accelerator (slow; for tests).</summary>
    public static readonly LinearAlgebraBackend CpuAccelerator = new("ilgpu-cpu", "ILGPU's CPU accelerator, float32 (the GPU kernels, emulated)",
        t => WithThreads(Create(preferCuda: false), t), "") { Float32Only = true };

    /// <summary>The CPU backends and both ILGPU ones.</summary>
    public static BackendCatalog Catalog => BackendCatalog.Cpu.With(Cuda, CpuAccelerator);

    private static IlgpuProvider WithThreads(IlgpuProvider p, int? threads)
    {
        if (threads is int t) p.Threads = t;
        return p;
    }

    // ---- kernels -------------------------------------------------------------------------------------------------

    /// <summary>C[i,j] = α Σ_p op(A)[i,p]·op(B)[p,j] + β C[i,j] (β = 0 does not read C); one thread per entry of C.</summary>
    private static void GemmKernel(Index2D idx, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmShape s)
    {
        int i = idx.X, j = idx.Y;
        float sum = 0;
        for (int p = 0; p < s.K; p++)
        {
            float av = s.TransA != 0 ? a[p * s.Lda + i] : a[i * s.Lda + p];
            float bv = s.TransB != 0 ? b[j * s.Ldb + p] : b[p * s.Ldb + j];
            sum += av * bv;
        }
        int o = i * s.Ldc + j;
        c[o] = s.Beta == 0 ? s.Alpha * sum : s.Alpha * sum + s.Beta * c[o];
    }

    private const int MaxTile = 16;

    /// <summary>
    /// Tiled GEMM: a group of T × T threads owns a T × T tile of C (X → column j, Y → row i, so neighbouring threads touch
    /// neighbouring addresses of row-major C and B); per k-block it stages op(A)[rows, p0..p0+T) and op(B)[p0..p0+T, cols]
    /// in shared memory (zero-padded at the edges), synchronises, and accumulates T products from shared memory.
    /// </summary>
    private static void TiledGemmKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmShape s)
    {
        var tileA = SharedMemory.Allocate<float>(MaxTile * MaxTile);
        var tileB = SharedMemory.Allocate<float>(MaxTile * MaxTile);
        int t = Group.DimX, tx = Group.IdxX, ty = Group.IdxY;
        int j = Grid.IdxX * t + tx, i = Grid.IdxY * t + ty;
        float sum = 0;
        for (int p0 = 0; p0 < s.K; p0 += t)
        {
            int pa = p0 + tx, pb = p0 + ty;
            tileA[ty * MaxTile + tx] = i < s.M && pa < s.K ? (s.TransA != 0 ? a[pa * s.Lda + i] : a[i * s.Lda + pa]) : 0f;
            tileB[ty * MaxTile + tx] = j < s.N && pb < s.K ? (s.TransB != 0 ? b[j * s.Ldb + pb] : b[pb * s.Ldb + j]) : 0f;
            Group.Barrier();
            for (int q = 0; q < t; q++) sum += tileA[ty * MaxTile + q] * tileB[q * MaxTile + tx];
            Group.Barrier();
        }
        if (i < s.M && j < s.N)
        {
            int o = i * s.Ldc + j;
            c[o] = s.Beta == 0 ? s.Alpha * sum : s.Alpha * sum + s.Beta * c[o];
        }
    }

    /// <summary>Row i: ℓ_i = −log softmax(z_i)_{y_i} (log1p form when z_y is the maximum); z_i ← w_i (p_i − e_{y_i}).</summary>
    private static void SoftmaxCrossEntropyKernel(Index1D i, ArrayView<float> z, ArrayView<int> labels, ArrayView<float> weights, ArrayView<float> losses, int cols)
    {
        losses[i] = CrossEntropyRowPass(z, i * cols, cols, labels[i], weights[i]);
    }

    /// <summary>
    /// The fused row pass on z[off .. off + cols): returns ℓ = −log p_y (max subtracted; log1p(Σ_{j≠y} e_j) when z_y is the
    /// maximum) and overwrites the row with w·(p − e_y), the y entry formed as −w·Σ_{j≠y} p_j.
    /// </summary>
    internal static float CrossEntropyRowPass(ArrayView<float> z, int off, int cols, int y, float w)
    {
        float m = z[off];
        for (int j = 1; j < cols; j++) m = XMath.Max(m, z[off + j]);
        float zy = z[off + y], rest = 0;
        for (int j = 0; j < cols; j++)
        {
            float e = XMath.Exp(z[off + j] - m);
            z[off + j] = e;
            if (j != y) rest += e;
        }
        float ey = z[off + y], s = rest + ey, inv = 1f / s;
        float loss = zy == m ? Log1P(rest) : (m - zy) + XMath.Log(s);
        for (int j = 0; j < cols; j++) z[off + j] *= inv * w;
        z[off + y] = -rest * inv * w;
        return loss;
    }

    /// <summary>
    /// log1p(x) for x ≥ 0 in float32, on the device: with v = 1 + x rounded, log1p(x) = log(v)·x/(v − 1) (Goldberg 1991: the
    /// factor x/(v − 1) undoes the rounding of v, leaving a few ulp), and x itself when 1 + x rounds to 1 (x &lt; 6e-8, where
    /// log1p(x) = x(1 − x/2 + …) = x to float precision). A plain log(1 + x) would return 0 there: the large-margin case.
    /// </summary>
    internal static float Log1P(float x)
    {
        float v = 1f + x;
        return v == 1f ? x : XMath.Log(v) * (x / (v - 1f));
    }

    /// <summary>Row i: out = (z − m) − log Σ e^{z − m}.</summary>
    private static void LogSoftmaxKernel(Index1D i, ArrayView<float> z, ArrayView<float> output, int cols)
    {
        int off = i * cols;
        float m = z[off];
        for (int j = 1; j < cols; j++) m = XMath.Max(m, z[off + j]);
        float s = 0;
        for (int j = 0; j < cols; j++) s += XMath.Exp(z[off + j] - m);
        float ls = XMath.Log(s);
        for (int j = 0; j < cols; j++) output[off + j] = (z[off + j] - m) - ls;
    }

    // ---- provider ------------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        ManagedGemm.ValidateShapes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0) return;
        lock (_lock)
        {
            using var da = _acc.Allocate1D(a.Length == 0 ? [0f] : a);
            using var db = _acc.Allocate1D(b.Length == 0 ? [0f] : b);
            using var dc = _acc.Allocate1D(c);
            GemmOnDevice(transA, transB, m, n, k, alpha, da.View, lda, db.View, ldb, beta, dc.View, ldc);
            _acc.Synchronize();
            dc.CopyToCPU(c);
        }
    }

    internal Accelerator Accelerator => _acc;

    /// <summary>GFLOP/s of a size³ float32 GEMM with the operands resident on the device (median of <paramref name="reps"/> after one warm-up).</summary>
    public double MeasureGemmGflops(int size, int reps)
    {
        lock (_lock)
        {
            using var a = _acc.Allocate1D<float>((long)size * size); using var b = _acc.Allocate1D<float>((long)size * size); using var c = _acc.Allocate1D<float>((long)size * size);
            a.MemSetToZero(); b.MemSetToZero();
            var times = new List<double>();
            for (int r = 0; r <= reps; r++)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                GemmOnDevice(false, false, size, size, size, 1f, a.View, size, b.View, size, 0f, c.View, size);
                _acc.Synchronize();
                if (r > 0) times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            return 2.0 * size * size * size / times[times.Count / 2] / 1e9;
        }
    }

    /// <summary>C ← α·op(A)·op(B) + β·C on device views (cuBLAS when present, else the ILGPU kernel); asynchronous on the default stream.</summary>
    internal void GemmOnDevice(bool transA, bool transB, int m, int n, int k, float alpha, ArrayView<float> a, int lda,
        ArrayView<float> b, int ldb, float beta, ArrayView<float> c, int ldc)
    {
        if (_blas != null && k > 0)
        {
            // Row-major C = op(A)op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ: swap the operands.
            _blas.Gemm(transB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose, transA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
                n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
        }
        else if (UseTiledGemm)
        {
            var config = new KernelConfig(new Index2D((n + _tile - 1) / _tile, (m + _tile - 1) / _tile), new Index2D(_tile, _tile));
            _tiledGemm(config, a, b, c, new GemmShape(m, n, k, lda, ldb, ldc, transA ? 1 : 0, transB ? 1 : 0, alpha, beta));
        }
        else
        {
            _gemm(new Index2D(m, n), a, b, c, new GemmShape(m, n, k, lda, ldb, ldc, transA ? 1 : 0, transB ? 1 : 0, alpha, beta));
        }
    }

    /// <summary>GEMM on float64 arrays in float32: the operands rounded to float32, the device GEMM, C widened.</summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc)
    {
        ManagedGemm.ValidateShapes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        var cf = ToFloat(c);
        if (beta == 0) Array.Clear(cf); // β = 0 must not propagate NaN from C
        Gemm(transA, transB, m, n, k, (float)alpha, ToFloat(a), lda, ToFloat(b), ldb, (float)beta, cf, ldc);
        for (int i = 0; i < c.Length; i++) c[i] = cf[i];
    }

    /// <inheritdoc/>
    public void LogSoftmaxRows(double[] z, int rows, int cols, double[] output)
    {
        Analytic.Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Analytic.Guard.Length(output.Length, rows * cols, nameof(output), $"rows×cols = {rows}×{cols}");
        if (rows == 0) return;
        lock (_lock)
        {
            using var dz = _acc.Allocate1D(ToFloat(z));
            using var dout = _acc.Allocate1D<float>(z.Length);
            _logSoftmax(rows, dz.View, dout.View, cols);
            _acc.Synchronize();
            var r = dout.GetAsArray1D();
            for (int i = 0; i < r.Length; i++) output[i] = r[i];
        }
    }

    /// <inheritdoc/>
    public double SoftmaxCrossEntropyGradient(double[] z, int rows, int cols, int[] labels, double[] weights, double[]? perSampleLoss)
    {
        Analytic.Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Analytic.Guard.Length(labels.Length, rows, nameof(labels), "one label per row");
        Analytic.Guard.Length(weights.Length, rows, nameof(weights), "one weight per row");
        Analytic.Guard.Labels(labels, cols, nameof(labels));
        if (perSampleLoss != null) Analytic.Guard.Length(perSampleLoss.Length, rows, nameof(perSampleLoss), "one per row");
        float[] zf, lf;
        lock (_lock)
        {
            using var dz = _acc.Allocate1D(ToFloat(z));
            using var dy = _acc.Allocate1D(labels);
            using var dw = _acc.Allocate1D(ToFloat(weights));
            using var dl = _acc.Allocate1D<float>(rows);
            _softmaxCe(rows, dz.View, dy.View, dw.View, dl.View, cols);
            _acc.Synchronize();
            zf = dz.GetAsArray1D(); lf = dl.GetAsArray1D();
        }
        for (int i = 0; i < z.Length; i++) z[i] = zf[i];
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            if (perSampleLoss != null) perSampleLoss[i] = lf[i];
            total += weights[i] * lf[i];
        }
        return total;
    }

    private static float[] ToFloat(double[] x)
    {
        var f = new float[x.Length];
        for (int i = 0; i < x.Length; i++) f[i] = (float)x[i];
        return f;
    }

    /// <summary>Frees the cuBLAS handle, the accelerator and the ILGPU context.</summary>
    public void Dispose()
    {
        _blas?.Dispose();
        _acc.Dispose();
        _context.Dispose();
    }
}
