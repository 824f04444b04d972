namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// Batched linear algebra used by every model: GEMM, row-wise log-softmax and the fused softmax
/// cross-entropy gradient. Analytic code calls this interface (through <see cref="LinearAlgebraControl"/>),
/// never a backend directly, so other backends (native BLAS, ILGPU) slot in.
/// </summary>
/// <remarks>
/// All matrices are row-major. op(A) is A (m×k, leading dimension lda) or, with <c>transA</c>, Aᵀ where
/// A is stored k×m; likewise op(B) is k×n. Gemm computes C ← α·op(A)·op(B) + β·C (C is m×n, leading
/// dimension ldc); β = 0 overwrites C without reading it (NaN in C does not propagate).
/// </remarks>
public interface ILinearAlgebraProvider
{
    /// <summary>Short name reported by the CLI and benchmarks.</summary>
    string Name { get; }

    /// <summary>True when the backend computes in float32 (the ILGPU backends): runs on it are cached apart from float64 ones.</summary>
    bool SinglePrecision => false;

    void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double[] a, int lda,
        double[] b, int ldb, double beta, double[] c, int ldc);

    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda,
        float[] b, int ldb, float beta, float[] c, int ldc);

    /// <summary>output[i, :] = z[i, :] − logsumexp(z[i, :]) for a rows×cols matrix (may alias z).</summary>
    void LogSoftmaxRows(double[] z, int rows, int cols, double[] output);

    /// <summary>
    /// Fused softmax cross-entropy: overwrites the logits z (rows×cols) with w_i·(P − Y) and returns
    /// Σ_i w_i·ℓ_i where ℓ_i = −log P[i, y_i]; writes ℓ_i to <paramref name="perSampleLoss"/> when given.
    /// </summary>
    double SoftmaxCrossEntropyGradient(double[] z, int rows, int cols, int[] labels, double[] weights, double[]? perSampleLoss);
}
