using System.Buffers;
using System.Numerics.Tensors;

namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// A CPU backend computing in float32 (`--dtype float32`): the float32 GEMM of the backend it wraps for every GEMM, and the
/// softmax cross-entropy passes in float32. The float32 entry points go straight to the wrapped backend; the float64 ones
/// (every model pass that is not a float32 training step: statistics, Hessian products, flows) round their operands to
/// float32 on the way in and widen the results on the way out, as the ILGPU backends do.
/// </summary>
/// <remarks>
/// Conventions of the float64 entry points: GEMM: op(A), op(B), C (when β ≠ 0), α and β rounded to float32, the float32
/// GEMM, C widened. Cross-entropy (one run or R runs): each row rounded to float32, the float32 fused pass (max subtracted,
/// e^{z − m} and its sum in float32, ℓ in float64 from the float32 sums: <see cref="Softmax.CrossEntropyGradientInPlace(Span{float}, int, float)"/>),
/// the residual widened. The other row passes (log-softmax, HVP, block-diagonal Hessian, curvature, residual log
/// magnitudes) run in float64 on their inputs, which are outputs of float32 GEMMs here. The weights' precision is recorded
/// as <see cref="SinglePrecision"/>, so runs on this backend are cached apart from float64 ones.
/// </remarks>
public sealed class SinglePrecisionProvider : ILinearAlgebraProvider
{
    private readonly ILinearAlgebraProvider _inner;

    /// <param name="inner">a float64 backend (its float32 GEMM is used); this provider owns and disposes it.</param>
    public SinglePrecisionProvider(ILinearAlgebraProvider inner)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (inner.SinglePrecision) throw new ArgumentException($"backend {inner.Name} computes in float32 already.", nameof(inner));
    }

    /// <summary>The wrapped backend's name with "-float32".</summary>
    public string Name => _inner.Name + "-float32";
    /// <summary>True: this backend computes in float32.</summary>
    public bool SinglePrecision => true;
    /// <summary>The wrapped backend's thread count.</summary>
    public int Threads => _inner.Threads;

    /// <summary>The float64 backend whose float32 GEMM runs here.</summary>
    public ILinearAlgebraProvider Inner => _inner;

    /// <summary>The wrapped backend's packing (the float32 operands of a float32 run).</summary>
    public IGemmPacking? Packing => _inner.Packing;

    /// <summary>The wrapped backend's float32 GEMM.</summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) =>
        _inner.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>The wrapped backend's float32 <see cref="ILinearAlgebraProvider.SymmetricRankK(int, int, float[], int, float[], int)"/>.</summary>
    public void SymmetricRankK(int n, int k, float[] a, int lda, float[] c, int ldc) => _inner.SymmetricRankK(n, k, a, lda, c, ldc);

    /// <summary>GEMM in float32 on float64 arrays: op(A), op(B), C (when β ≠ 0), α and β rounded to float32, the float32 GEMM, C widened.</summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc)
    {
        ManagedGemm.ValidateShapes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0) return;
        var af = Rounded(a, transA ? k : m, transA ? m : k, lda);
        var bf = Rounded(b, transB ? n : k, transB ? k : n, ldb);
        var cf = beta == 0 ? Rent(Extent(m, n, ldc)) : Rounded(c, m, n, ldc);
        try
        {
            _inner.Gemm(transA, transB, m, n, k, (float)alpha, af, lda, bf, ldb, (float)beta, cf, ldc);
            for (int i = 0; i < m; i++) TensorPrimitives.ConvertTruncating<float, double>(cf.AsSpan(i * ldc, n), c.AsSpan(i * ldc, n));
        }
        finally { Return(af); Return(bf); Return(cf); }
    }

    /// <summary>Entries a rows×cols matrix with leading dimension ld spans ((rows − 1)·ld + cols; 0 when empty).</summary>
    private static int Extent(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : checked((rows - 1) * ld + cols);

    private static float[] Rent(int length) => ArrayPool<float>.Shared.Rent(Math.Max(length, 1));

    private static void Return(float[] x) => ArrayPool<float>.Shared.Return(x);

    /// <summary>The span of a matrix rounded to float32 (a pooled array: return it).</summary>
    private static float[] Rounded(double[] x, int rows, int cols, int ld)
    {
        int extent = Extent(rows, cols, ld);
        var f = Rent(extent);
        TensorPrimitives.ConvertTruncating<double, float>(x.AsSpan(0, extent), f.AsSpan(0, extent));
        return f;
    }

    /// <inheritdoc/>
    public void LogSoftmaxRows(double[] z, int rows, int cols, double[] output) => _inner.LogSoftmaxRows(z, rows, cols, output);

    /// <summary>The fused cross-entropy pass in float32: each row rounded to float32, max subtracted, e^{z − m} and its sum in float32, ℓ_i in float64 from the float32 sums, the residual widened.</summary>
    public double SoftmaxCrossEntropyGradient(double[] z, int rows, int cols, int[] labels, double[] weights, double[]? perSampleLoss)
    {
        Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Guard.Length(labels.Length, rows, nameof(labels), "one label per row");
        Guard.Length(weights.Length, rows, nameof(weights), "one weight per row");
        if (perSampleLoss != null) Guard.Length(perSampleLoss.Length, rows, nameof(perSampleLoss), "one per row");
        Guard.Labels(labels, cols, nameof(labels));
        var losses = perSampleLoss ?? new double[rows];
        RowPass(rows, cols, i => losses[i] = CrossEntropyRow(z.AsSpan(i * cols, cols), labels[i], (float)weights[i]));
        var total = new CompensatedSum();
        for (int i = 0; i < rows; i++) total.Add(weights[i] * losses[i]);
        return total.Value;
    }

    /// <summary>The R-run cross-entropy pass in float32 on float64 logits (each row rounded on the way in, the residual widened).</summary>
    public void SoftmaxCrossEntropyGradientRuns(double[] z, int rows, int runs, int cols, int[] labels, double[] weights, double[][] sampleLosses)
    {
        int wc = SoftmaxRowKernels.CheckRuns(z.Length, rows, runs, cols, labels, weights, sampleLosses);
        RowPass(rows, wc, i =>
        {
            for (int r = 0; r < runs; r++)
            {
                var block = z.AsSpan(i * wc + r * cols, cols);
                if (VectorMath.AllFinite(block)) sampleLosses[r][i] = CrossEntropyRow(block, labels[i], (float)weights[i]);
                else { block.Fill(double.NaN); sampleLosses[r][i] = double.NaN; }
            }
        });
    }

    /// <inheritdoc/>
    public void SoftmaxCrossEntropyGradientRuns(float[] z, int rows, int runs, int cols, int[] labels, double[] weights, double[][] sampleLosses) =>
        _inner.SoftmaxCrossEntropyGradientRuns(z, rows, runs, cols, labels, weights, sampleLosses);

    /// <summary>One row through the float32 fused pass: rounded in, residual widened out; returns ℓ.</summary>
    private static double CrossEntropyRow(Span<double> row, int y, float weight)
    {
        float[]? rented = null;
        Span<float> f = row.Length <= 1024 ? stackalloc float[row.Length] : (rented = ArrayPool<float>.Shared.Rent(row.Length)).AsSpan(0, row.Length);
        TensorPrimitives.ConvertTruncating<double, float>(row, f);
        double loss = Softmax.CrossEntropyGradientInPlace(f, y, weight);
        TensorPrimitives.ConvertTruncating<float, double>(f, row);
        if (rented != null) ArrayPool<float>.Shared.Return(rented);
        return loss;
    }

    /// <inheritdoc/>
    public void SoftmaxHessianVectorRows(double[] z, double[] r, int rows, int cols, double[] weights) => _inner.SoftmaxHessianVectorRows(z, r, rows, cols, weights);

    /// <inheritdoc/>
    public void SoftmaxBlockDiagonalHessianRows(double[] z, double[] r, int rows, int cols, double[] weights) => _inner.SoftmaxBlockDiagonalHessianRows(z, r, rows, cols, weights);

    /// <inheritdoc/>
    public void SoftmaxCurvatureRows(double[] z, int rows, int cols, double[] weights) => _inner.SoftmaxCurvatureRows(z, rows, cols, weights);

    /// <inheritdoc/>
    public void SoftmaxResidualLogMagnitudes(double[] z, int rows, int cols, int[] labels, double[] weights, double[] logAbs) =>
        _inner.SoftmaxResidualLogMagnitudes(z, rows, cols, labels, weights, logAbs);

    /// <inheritdoc/>
    public void RowPass(int rows, int cols, Action<int> body) => _inner.RowPass(rows, cols, body);

    /// <summary>Disposes the wrapped backend.</summary>
    public void Dispose() => _inner.Dispose();
}
