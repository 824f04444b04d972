namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>The managed reference backend: <see cref="ManagedGemm"/> plus row-parallel softmax kernels.</summary>
public sealed class ManagedLinearAlgebraProvider : ILinearAlgebraProvider
{
    public string Name => "managed";

    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double[] a, int lda,
        double[] b, int ldb, double beta, double[] c, int ldc) =>
        ManagedGemm.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda,
        float[] b, int ldb, float beta, float[] c, int ldc) =>
        ManagedGemm.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    public void LogSoftmaxRows(double[] z, int rows, int cols, double[] output)
    {
        Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Guard.Length(output.Length, rows * cols, nameof(output), $"rows×cols = {rows}×{cols}");
        RowParallel(rows, cols, i => Softmax.LogSoftmax(z.AsSpan(i * cols, cols), output.AsSpan(i * cols, cols)));
    }

    public double SoftmaxCrossEntropyGradient(double[] z, int rows, int cols, int[] labels, double[] weights, double[]? perSampleLoss)
    {
        Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Guard.Length(labels.Length, rows, nameof(labels), "one label per row");
        Guard.Length(weights.Length, rows, nameof(weights), "one weight per row");
        if (perSampleLoss != null) Guard.Length(perSampleLoss.Length, rows, nameof(perSampleLoss), "one per row");
        Guard.Labels(labels, cols, nameof(labels));
        var losses = perSampleLoss ?? new double[rows];
        RowParallel(rows, cols, i =>
            losses[i] = Softmax.CrossEntropyGradientInPlace(z.AsSpan(i * cols, cols), labels[i], weights[i]));
        var total = new CompensatedSum();
        for (int i = 0; i < rows; i++) total.Add(weights[i] * losses[i]);
        return total.Value;
    }

    /// <summary>Runs body(i) for every row, in parallel chunks when the work is large enough to pay for it.</summary>
    public static void RowParallel(int rows, int cols, Action<int> body)
    {
        if ((long)rows * cols < 1 << 15) { for (int i = 0; i < rows; i++) body(i); return; }
        int chunks = Math.Min(rows, Environment.ProcessorCount * 4);
        Parallel.For(0, chunks, t =>
        {
            int i0 = (int)((long)rows * t / chunks), i1 = (int)((long)rows * (t + 1) / chunks);
            for (int i = i0; i < i1; i++) body(i);
        });
    }
}
