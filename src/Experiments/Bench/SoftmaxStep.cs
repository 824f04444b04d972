using System.Numerics;
using HeavyTail.Analytic;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Experiments.Bench;

/// <summary>
/// Full-batch softmax-regression GD steps in T = float or double on a provider, the unit the benchmark times against
/// PyTorch/NumPy: Z = XW; per row the fused, vectorised softmax cross-entropy pass (max subtracted) that returns the loss
/// and overwrites Z with (η/n)(P − Y); then W ← W − Xᵀ[(η/n)(P − Y)] = W − η·G as one GEMM with β = 1 (the gradient is
/// accumulated straight into W: no G buffer, no separate update pass).
/// With R runs (a step-size grid on the same data) the weights sit side by side, W = [W_1 … W_R] (d × R·c), so both
/// GEMMs read X once for all runs, and run r's block of Z is scaled by its own η_r. Buffers are allocated once; a step
/// allocates nothing.
/// </summary>
public sealed class SoftmaxStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _x, _w, _z;
    private readonly int[] _y;
    private readonly int _n, _d, _c, _runs;
    private readonly ILinearAlgebraProvider _la;
    private readonly double[] _rowLoss, _loss;
    private readonly T[] _scale;

    public SoftmaxStep(T[] x, int[] y, int n, int d, int c, ILinearAlgebraProvider la, int runs = 1)
    {
        Guard.Positive(runs, nameof(runs));
        Guard.Length(x.Length, n * d, nameof(x), $"n×d = {n}×{d}");
        Guard.Length(y.Length, n, nameof(y), "one label per row");
        Guard.Labels(y, c, nameof(y));
        _x = x; _y = y; _n = n; _d = d; _c = c; _la = la; _runs = runs;
        _w = new T[d * c * runs]; _z = new T[n * c * runs];
        _rowLoss = new double[n * runs];
        _loss = new double[runs];
        _scale = new T[runs];
    }

    public ReadOnlySpan<T> W => _w;

    /// <summary>One step of a single run (R = 1); returns the loss at W before the step.</summary>
    public double Step(T lr) => Step([lr])[0];

    /// <summary>One step of every run, run r with step size <paramref name="lrs"/>[r]; returns the losses before the step.</summary>
    public ReadOnlySpan<double> Step(ReadOnlySpan<T> lrs)
    {
        if (lrs.Length != _runs) throw new ArgumentException($"{lrs.Length} step sizes for {_runs} runs.");
        int c = _c, wc = _c * _runs, runs = _runs, n = _n;
        for (int r = 0; r < runs; r++) _scale[r] = lrs[r] / T.CreateTruncating(n);
        Gemm(false, _n, wc, _d, T.One, _x, _d, _w, T.Zero, _z);
        ManagedLinearAlgebraProvider.RowParallel(_n, wc, i =>
        {
            int y = _y[i];
            for (int r = 0; r < runs; r++)
            {
                int at = i * wc + r * c;
                _rowLoss[r * n + i] = typeof(T) == typeof(float)
                    ? Softmax.CrossEntropyGradientInPlace(((float[])(object)_z).AsSpan(at, c), y, float.CreateTruncating(_scale[r]))
                    : Softmax.CrossEntropyGradientInPlace(((double[])(object)_z).AsSpan(at, c), y, double.CreateTruncating(_scale[r]));
            }
        });
        Gemm(true, _d, wc, _n, -T.One, _x, _d, _z, T.One, _w);
        for (int r = 0; r < runs; r++) _loss[r] = VectorMath.Sum(_rowLoss.AsSpan(r * n, n)) / n;
        return _loss;
    }

    private void Gemm(bool transA, int m, int n, int k, T alpha, T[] a, int lda, T[] b, T beta, T[] cOut)
    {
        if (typeof(T) == typeof(double))
            _la.Gemm(transA, false, m, n, k, double.CreateTruncating(alpha), (double[])(object)a, lda, (double[])(object)b, n, double.CreateTruncating(beta), (double[])(object)cOut, n);
        else
            _la.Gemm(transA, false, m, n, k, float.CreateTruncating(alpha), (float[])(object)a, lda, (float[])(object)b, n, float.CreateTruncating(beta), (float[])(object)cOut, n);
    }
}
