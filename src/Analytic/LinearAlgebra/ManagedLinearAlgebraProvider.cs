namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>The managed reference backend: <see cref="ManagedGemm"/> plus the host softmax row passes, on a fixed number of threads.</summary>
public sealed class ManagedLinearAlgebraProvider : ILinearAlgebraProvider, IGemmPacking
{
    /// <param name="threads">worker threads (default: every core).</param>
    /// <param name="blocking">GEMM cache blocking (default: <see cref="GemmBlocking.Default"/>).</param>
    public ManagedLinearAlgebraProvider(int? threads = null, GemmBlocking? blocking = null)
    {
        Threads = threads ?? Environment.ProcessorCount;
        if (Threads < 1) throw new ArgumentException($"threads = {Threads} must be at least 1.", nameof(threads));
        Blocking = blocking ?? GemmBlocking.Default;
    }

    /// <summary>"managed".</summary>
    public string Name => "managed";
    /// <summary>Worker threads of the GEMMs and row passes (default: every core).</summary>
    public int Threads { get; }
    /// <summary>The cache blocking of the GEMM kernels.</summary>
    public GemmBlocking Blocking { get; }

    /// <inheritdoc/>
    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double[] a, int lda,
        double[] b, int ldb, double beta, double[] c, int ldc) =>
        ManagedGemm.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, GemmKernel.Auto, Blocking, Threads);

    /// <inheritdoc/>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda,
        float[] b, int ldb, float beta, float[] c, int ldc) =>
        ManagedGemm.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, GemmKernel.Auto, Blocking, Threads);

    /// <summary>C ← A·Aᵀ by <see cref="ManagedGemm.SymmetricRankK{T}"/>: the lower half by blocks, mirrored.</summary>
    public void SymmetricRankK(int n, int k, float[] a, int lda, float[] c, int ldc) => ManagedGemm.SymmetricRankK(n, k, a, lda, c, ldc, Threads, Blocking);

    /// <summary>C ← A·Aᵀ by <see cref="ManagedGemm.SymmetricRankK{T}"/> in float64.</summary>
    public void SymmetricRankK(int n, int k, double[] a, int lda, double[] c, int ldc) => ManagedGemm.SymmetricRankK(n, k, a, lda, c, ldc, Threads, Blocking);

    /// <summary>This backend packs shared left operands (<see cref="ManagedGemm.Pack{T}"/>).</summary>
    public IGemmPacking Packing => this;

    /// <inheritdoc/>
    public PackedGemmOperand<T> Pack<T>(bool transA, int m, int k, T[] a, int lda) where T : unmanaged, System.Numerics.INumber<T> =>
        ManagedGemm.Pack(transA, m, k, a, lda, GemmKernel.Auto, Blocking, Threads);

    /// <inheritdoc/>
    public void Gemm<T>(PackedGemmOperand<T> a, int n, T alpha, T[] b, int ldb, T beta, T[] c, int ldc) where T : unmanaged, System.Numerics.INumber<T> =>
        ManagedGemm.Run(a, false, n, alpha, b, ldb, beta, c, ldc, Threads, Blocking);

    /// <inheritdoc/>
    public void LogSoftmaxRows(double[] z, int rows, int cols, double[] output)
    {
        Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Guard.Length(output.Length, rows * cols, nameof(output), $"rows×cols = {rows}×{cols}");
        HostRows.Run(rows, cols, Threads, i => Softmax.LogSoftmax(z.AsSpan(i * cols, cols), output.AsSpan(i * cols, cols)));
    }

    /// <inheritdoc/>
    public double SoftmaxCrossEntropyGradient(double[] z, int rows, int cols, int[] labels, double[] weights, double[]? perSampleLoss)
    {
        Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Guard.Length(labels.Length, rows, nameof(labels), "one label per row");
        Guard.Length(weights.Length, rows, nameof(weights), "one weight per row");
        if (perSampleLoss != null) Guard.Length(perSampleLoss.Length, rows, nameof(perSampleLoss), "one per row");
        Guard.Labels(labels, cols, nameof(labels));
        var losses = perSampleLoss ?? new double[rows];
        HostRows.Run(rows, cols, Threads, i =>
            losses[i] = Softmax.CrossEntropyGradientInPlace(z.AsSpan(i * cols, cols), labels[i], weights[i]));
        var total = new CompensatedSum();
        for (int i = 0; i < rows; i++) total.Add(weights[i] * losses[i]);
        return total.Value;
    }

    /// <summary>Nothing to release: the managed backend owns no native or device resources.</summary>
    public void Dispose() { }
}
