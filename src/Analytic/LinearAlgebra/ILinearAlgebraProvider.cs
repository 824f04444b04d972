namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// Batched linear algebra used by every model: GEMM, the softmax row passes (log-softmax, the fused cross-entropy gradient,
/// the HVP, curvature and gradient-sign passes) and host row passes for model-specific loops. Models receive a provider
/// (through a <see cref="ComputeContext"/>) and call only this interface, so every pass reaches the backend that was chosen.
/// </summary>
/// <remarks>
/// All matrices are row-major. op(A) is A (m×k, leading dimension lda) or, with <c>transA</c>, Aᵀ where
/// A is stored k×m; likewise op(B) is k×n. Gemm computes C ← α·op(A)·op(B) + β·C (C is m×n, leading
/// dimension ldc); β = 0 overwrites C without reading it (NaN in C does not propagate).
/// A provider may own native or device resources: dispose it (its <see cref="ComputeContext"/> does) when done.
/// </remarks>
public interface ILinearAlgebraProvider : IDisposable
{
    /// <summary>Short name reported by the CLI and benchmarks.</summary>
    string Name { get; }

    /// <summary>True when the backend computes in float32 (the ILGPU backends): runs on it are cached apart from float64 ones.</summary>
    bool SinglePrecision => false;

    /// <summary>Worker threads the backend's host passes use (≥ 1).</summary>
    int Threads { get; }

    /// <summary>
    /// Packing of a left operand shared by many GEMMs (<see cref="SharedLeftOperand{T}"/>), where the backend has it (the
    /// managed one); null: every GEMM takes the array.
    /// </summary>
    IGemmPacking? Packing => null;

    /// <summary>Double-precision GEMM in BLAS convention, row-major: C = α·op(A)·op(B) + β·C, op(A) m×k, op(B) k×n, C m×n.</summary>
    /// <remarks>op(X) = Xᵀ when the trans flag is set; lda, ldb, ldc are the row strides of A, B and C as stored.</remarks>
    void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double[] a, int lda,
        double[] b, int ldb, double beta, double[] c, int ldc);

    /// <summary>Single-precision GEMM, C = α·op(A)·op(B) + β·C, with the conventions of the double-precision one.</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda,
        float[] b, int ldb, float beta, float[] c, int ldc);

    /// <summary>
    /// The Gram matrix C ← A·Aᵀ (A n × k row-major, leading dimension lda; C n × n, leading dimension ldc, not read), in
    /// float32: by default the full GEMM; a backend with a symmetric rank-k update forms the lower half and mirrors it
    /// (<see cref="ManagedGemm.SymmetricRankK{T}"/>), with the same entries.
    /// </summary>
    void SymmetricRankK(int n, int k, float[] a, int lda, float[] c, int ldc) => Gemm(false, true, n, n, k, 1f, a, lda, a, lda, 0f, c, ldc);

    /// <summary>The float64 <see cref="SymmetricRankK(int, int, float[], int, float[], int)"/>.</summary>
    void SymmetricRankK(int n, int k, double[] a, int lda, double[] c, int ldc) => Gemm(false, true, n, n, k, 1.0, a, lda, a, lda, 0.0, c, ldc);

    /// <summary>output[i, :] = z[i, :] − logsumexp(z[i, :]) for a rows×cols matrix (may alias z).</summary>
    void LogSoftmaxRows(double[] z, int rows, int cols, double[] output);

    /// <summary>
    /// Fused softmax cross-entropy: overwrites the logits z (rows×cols) with w_i·(P − Y) and returns
    /// Σ_i w_i·ℓ_i where ℓ_i = −log P[i, y_i]; writes ℓ_i to <paramref name="perSampleLoss"/> when given.
    /// </summary>
    double SoftmaxCrossEntropyGradient(double[] z, int rows, int cols, int[] labels, double[] weights, double[]? perSampleLoss);

    /// <summary>
    /// The fused pass of <see cref="SoftmaxCrossEntropyGradient"/> for R runs side by side: z is rows × (R·cols), run r's
    /// logits of row i at i·R·cols + r·cols. Each (row, run) block becomes w_i·(p − e_y) and ℓ goes to
    /// <paramref name="sampleLosses"/>[r][i]; a block with a non-finite logit becomes NaN with ℓ = NaN (that run diverged;
    /// the other runs are not disturbed).
    /// </summary>
    void SoftmaxCrossEntropyGradientRuns(double[] z, int rows, int runs, int cols, int[] labels, double[] weights, double[][] sampleLosses) =>
        SoftmaxRowKernels.CrossEntropyGradientRuns(this, z, rows, runs, cols, labels, weights, sampleLosses);

    /// <summary>
    /// The float32 form of the R-run pass (float32 logits, residuals w_i·(p − e_y) written back in float32): per block the max
    /// is subtracted and e^{z − m} and its sum are formed in float32, ℓ in float64 from those float32 sums
    /// (<see cref="Softmax.CrossEntropyGradientInPlace(Span{float}, int, float)"/>); w_i is rounded to float32.
    /// </summary>
    void SoftmaxCrossEntropyGradientRuns(float[] z, int rows, int runs, int cols, int[] labels, double[] weights, double[][] sampleLosses) =>
        SoftmaxRowKernels.CrossEntropyGradientRuns(this, z, rows, runs, cols, labels, weights, sampleLosses);

    /// <summary>
    /// The softmax HVP row pass: z (logits, rows×cols) becomes P; r = XV becomes S with
    /// S_i = w_i·p_i∘((r_i − r_m) − Σ_{b≠m} p_b (r_b − r_m)), m the row's arg-max (exact when p_m ≈ 1 and for shifts r ≡ const).
    /// </summary>
    void SoftmaxHessianVectorRows(double[] z, double[] r, int rows, int cols, double[] weights) =>
        SoftmaxRowKernels.HessianVectorRows(this, z, r, rows, cols, weights);

    /// <summary>
    /// The block-diagonal softmax Hessian row pass: z (logits, rows×cols) becomes P; r = XV becomes S ∘ r with
    /// S_ia = w_i·P_ia(1 − P_ia) (1 − p formed without cancellation), so Xᵀ(S ∘ XV) = [H_aa v_a]_a, every class block at once.
    /// </summary>
    void SoftmaxBlockDiagonalHessianRows(double[] z, double[] r, int rows, int cols, double[] weights) =>
        SoftmaxRowKernels.BlockDiagonalHessianRows(this, z, r, rows, cols, weights);

    /// <summary>The softmax curvature row pass: z (logits) becomes w_i·P_ia(1 − P_ia), 1 − p formed without cancellation.</summary>
    void SoftmaxCurvatureRows(double[] z, int rows, int cols, double[] weights) =>
        SoftmaxRowKernels.CurvatureRows(this, z, rows, cols, weights);

    /// <summary>
    /// log|R_ia| of the cross-entropy residual R_i = w_i(p_i − e_{y_i}) from the logits z, in the log domain so that it does
    /// not underflow: log w_i + z_ia − m_i − log s_i for a ≠ y_i, and log w_i + log Σ_{j≠y_i} e^{z_ij − m_i} − log s_i at y_i.
    /// </summary>
    void SoftmaxResidualLogMagnitudes(double[] z, int rows, int cols, int[] labels, double[] weights, double[] logAbs) =>
        SoftmaxRowKernels.ResidualLogMagnitudes(this, z, rows, cols, labels, weights, logAbs);

    /// <summary>
    /// Runs <paramref name="body"/>(i) for every row i of a rows×cols pass on the host, split over <see cref="Threads"/> workers
    /// when the work pays for it. Rows are independent: the result does not depend on the split.
    /// </summary>
    void RowPass(int rows, int cols, Action<int> body) => HostRows.Run(rows, cols, Threads, body);
}

/// <summary>GEMM over T = float or double: the provider's float32 or float64 entry point (for code generic in its precision).</summary>
public static class GenericGemm
{
    /// <summary>C ← α·op(A)·op(B) + β·C as <see cref="ILinearAlgebraProvider.Gemm(bool, bool, int, int, int, double, double[], int, double[], int, double, double[], int)"/>.</summary>
    public static void Gemm<T>(this ILinearAlgebraProvider la, bool transA, bool transB, int m, int n, int k, T alpha, T[] a, int lda,
        T[] b, int ldb, T beta, T[] c, int ldc) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
            la.Gemm(transA, transB, m, n, k, double.CreateTruncating(alpha), (double[])(object)a, lda, (double[])(object)b, ldb, double.CreateTruncating(beta), (double[])(object)c, ldc);
        else if (typeof(T) == typeof(float))
            la.Gemm(transA, transB, m, n, k, float.CreateTruncating(alpha), (float[])(object)a, lda, (float[])(object)b, ldb, float.CreateTruncating(beta), (float[])(object)c, ldc);
        else throw new NotSupportedException($"GEMM in {typeof(T).Name}: only float and double.");
    }
}

/// <summary>The host row pass shared by the backends.</summary>
public static class HostRows
{
    /// <summary>Work (rows × cols) below which a pass runs on the calling thread: a parallel loop costs ≈ 10 µs to start.</summary>
    public const long ParallelThreshold = 1 << 15;

    /// <summary>Chunks per worker: small enough that an uneven row costs little, large enough to amortise scheduling.</summary>
    public const int ChunksPerThread = 4;

    /// <summary>Runs body(i) for every row i in [0, rows): on the calling thread when rows·cols &lt; <see cref="ParallelThreshold"/> or threads ≤ 1, else in <see cref="ChunksPerThread"/>·threads contiguous chunks on at most <paramref name="threads"/> workers.</summary>
    public static void Run(int rows, int cols, int threads, Action<int> body)
    {
        if ((long)rows * cols < ParallelThreshold || threads <= 1) { for (int i = 0; i < rows; i++) body(i); return; }
        int chunks = Math.Min(rows, threads * ChunksPerThread);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int i0 = (int)((long)rows * t / chunks), i1 = (int)((long)rows * (t + 1) / chunks);
            for (int i = i0; i < i1; i++) body(i);
        });
    }
}
