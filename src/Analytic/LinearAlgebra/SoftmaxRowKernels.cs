namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// The host implementations of the softmax row passes of <see cref="ILinearAlgebraProvider"/> (each row is independent; the
/// provider's <see cref="ILinearAlgebraProvider.RowPass"/> spreads them over its threads). Formulas on the interface.
/// </summary>
public static class SoftmaxRowKernels
{
    /// <summary>The host pass of <see cref="ILinearAlgebraProvider.SoftmaxCrossEntropyGradientRuns(double[], int, int, int, int[], double[], double[][])"/>: R runs side by side, row i of run r at z[i·R·c + r·c ..], becomes w_i(P − Y) in place with ℓ_i in sampleLosses[r].</summary>
    public static void CrossEntropyGradientRuns(ILinearAlgebraProvider la, double[] z, int rows, int runs, int cols, int[] labels, double[] weights, double[][] sampleLosses)
    {
        int wc = SoftmaxRowKernels.CheckRuns(z.Length, rows, runs, cols, labels, weights, sampleLosses);
        la.RowPass(rows, wc, i =>
        {
            for (int r = 0; r < runs; r++)
            {
                var block = z.AsSpan(i * wc + r * cols, cols);
                sampleLosses[r][i] = VectorMath.AllFinite(block)
                    ? Softmax.CrossEntropyGradientInPlace(block, labels[i], weights[i])
                    : FillNaN(block);
            }
        });
    }

    /// <summary>Checks the shapes of an R-run cross-entropy pass (z: rows × R·cols; one label and weight per row; one loss array per run); returns R·cols.</summary>
    public static int CheckRuns(int zLength, int rows, int runs, int cols, int[] labels, double[] weights, double[][] sampleLosses)
    {
        Guard.Positive(runs, nameof(runs));
        int wc = runs * cols;
        Guard.Length(zLength, rows * wc, "z", $"rows × R·cols = {rows}×{wc}");
        Guard.Length(labels.Length, rows, nameof(labels), "one label per row");
        Guard.Length(weights.Length, rows, nameof(weights), "one weight per row");
        Guard.Length(sampleLosses.Length, runs, nameof(sampleLosses), "one per run");
        return wc;
    }

    private static double FillNaN(Span<double> block) { block.Fill(double.NaN); return double.NaN; }

    /// <summary>The float32 R-run pass (formulas on <see cref="ILinearAlgebraProvider.SoftmaxCrossEntropyGradientRuns(float[], int, int, int, int[], double[], double[][])"/>).</summary>
    public static void CrossEntropyGradientRuns(ILinearAlgebraProvider la, float[] z, int rows, int runs, int cols, int[] labels, double[] weights, double[][] sampleLosses)
    {
        int wc = SoftmaxRowKernels.CheckRuns(z.Length, rows, runs, cols, labels, weights, sampleLosses);
        la.RowPass(rows, wc, i =>
        {
            float wi = (float)weights[i];
            for (int r = 0; r < runs; r++)
            {
                var block = z.AsSpan(i * wc + r * cols, cols);
                if (System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(block)) sampleLosses[r][i] = Softmax.CrossEntropyGradientInPlace(block, labels[i], wi);
                else { block.Fill(float.NaN); sampleLosses[r][i] = double.NaN; }
            }
        });
    }

    /// <summary>The host pass of <see cref="ILinearAlgebraProvider.SoftmaxHessianVectorRows"/>: r_i = (XV)_i becomes S_i = w_i·(p_i∘r_i − p_i·⟨p_i, r_i⟩), computed around the row's arg-max.</summary>
    public static void HessianVectorRows(ILinearAlgebraProvider la, double[] z, double[] r, int rows, int cols, double[] weights)
    {
        Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Guard.Length(r.Length, rows * cols, nameof(r), $"rows×cols = {rows}×{cols}");
        Guard.Length(weights.Length, rows, nameof(weights), "one weight per row");
        la.RowPass(rows, cols, i =>
        {
            var pi = z.AsSpan(i * cols, cols); var ri = r.AsSpan(i * cols, cols);
            Softmax.ProbabilitiesInPlace(pi, out int m);
            double rm = ri[m], t = 0;
            for (int b = 0; b < cols; b++) if (b != m) t += pi[b] * (ri[b] - rm);
            double wi = weights[i];
            for (int a = 0; a < cols; a++) ri[a] = wi * pi[a] * ((ri[a] - rm) - t);
        });
    }

    /// <summary>The host pass of <see cref="ILinearAlgebraProvider.SoftmaxBlockDiagonalHessianRows"/>: r_ia becomes w_i·P_ia(1 − P_ia)·r_ia.</summary>
    public static void BlockDiagonalHessianRows(ILinearAlgebraProvider la, double[] z, double[] r, int rows, int cols, double[] weights)
    {
        Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Guard.Length(r.Length, rows * cols, nameof(r), $"rows×cols = {rows}×{cols}");
        Guard.Length(weights.Length, rows, nameof(weights), "one weight per row");
        la.RowPass(rows, cols, i =>
        {
            var pi = z.AsSpan(i * cols, cols); var ri = r.AsSpan(i * cols, cols);
            double rest = Softmax.ProbabilitiesInPlace(pi, out int amax);
            double wi = weights[i];
            for (int a = 0; a < cols; a++) ri[a] *= wi * Softmax.Curvature(pi[a], a, amax, rest);
        });
    }

    /// <summary>The host pass of <see cref="ILinearAlgebraProvider.SoftmaxCurvatureRows"/>: z_ia becomes w_i·P_ia(1 − P_ia).</summary>
    public static void CurvatureRows(ILinearAlgebraProvider la, double[] z, int rows, int cols, double[] weights)
    {
        Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Guard.Length(weights.Length, rows, nameof(weights), "one weight per row");
        la.RowPass(rows, cols, i =>
        {
            var si = z.AsSpan(i * cols, cols);
            double rest = Softmax.ProbabilitiesInPlace(si, out int amax);
            double wi = weights[i];
            for (int a = 0; a < cols; a++) si[a] = wi * Softmax.Curvature(si[a], a, amax, rest);
        });
    }

    /// <summary>The host pass of <see cref="ILinearAlgebraProvider.SoftmaxResidualLogMagnitudes"/>: log |w_i(P − Y)_ia| without underflow.</summary>
    public static void ResidualLogMagnitudes(ILinearAlgebraProvider la, double[] z, int rows, int cols, int[] labels, double[] weights, double[] logAbs)
    {
        Guard.Length(z.Length, rows * cols, nameof(z), $"rows×cols = {rows}×{cols}");
        Guard.Length(logAbs.Length, rows * cols, nameof(logAbs), $"rows×cols = {rows}×{cols}");
        Guard.Length(labels.Length, rows, nameof(labels), "one label per row");
        Guard.Length(weights.Length, rows, nameof(weights), "one weight per row");
        la.RowPass(rows, cols, i =>
        {
            var zi = z.AsSpan(i * cols, cols); var li = logAbs.AsSpan(i * cols, cols);
            int y = labels[i];
            double m = Softmax.Max(zi);
            double logS = Math.Log(SumExp(zi, m, -1));
            double logW = Math.Log(weights[i]);
            for (int a = 0; a < cols; a++) li[a] = logW + (zi[a] - m) - logS;
            double rest = SumExp(zi, m, y);
            li[y] = rest > 0 ? logW + Math.Log(rest) - logS : LogSumExpExcept(zi, y) + logW - m - logS;
        });
    }

    /// <summary>Σ_{j≠skip} e^{z_j − m}.</summary>
    private static double SumExp(ReadOnlySpan<double> z, double m, int skip)
    {
        double s = 0;
        for (int j = 0; j < z.Length; j++) if (j != skip) s += Math.Exp(z[j] - m);
        return s;
    }

    /// <summary>log Σ_{j≠skip} e^{z_j}, max-subtracted over the remaining entries.</summary>
    private static double LogSumExpExcept(ReadOnlySpan<double> z, int skip)
    {
        double m = double.NegativeInfinity;
        for (int j = 0; j < z.Length; j++) if (j != skip && z[j] > m) m = z[j];
        return m + Math.Log(SumExp(z, m, skip));
    }
}
