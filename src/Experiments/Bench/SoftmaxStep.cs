using System.Numerics;
using HeavyTail.Analytic;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Experiments.Bench;

/// <summary>
/// Full-batch softmax-regression GD steps in T = float or double on a provider, the unit the benchmark times against
/// PyTorch/NumPy: Z = XW; row softmax with the max subtracted; mean cross-entropy; G = Xᵀ(P − Y)/n; W −= ηG.
/// With R runs (a step-size grid on the same data) the weights sit side by side, W = [W_1 … W_R] (d × R·c), so both
/// GEMMs read X once for all runs, and run r steps with its own η_r. Buffers are allocated once; a step allocates nothing.
/// </summary>
public sealed class SoftmaxStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _x, _w, _z, _g;
    private readonly int[] _y;
    private readonly int _n, _d, _c, _runs;
    private readonly ILinearAlgebraProvider _la;
    private readonly double[] _rowLoss, _loss;

    public SoftmaxStep(T[] x, int[] y, int n, int d, int c, ILinearAlgebraProvider la, int runs = 1)
    {
        Guard.Positive(runs, nameof(runs));
        _x = x; _y = y; _n = n; _d = d; _c = c; _la = la; _runs = runs;
        _w = new T[d * c * runs]; _z = new T[n * c * runs]; _g = new T[d * c * runs];
        _rowLoss = new double[n * runs];
        _loss = new double[runs];
    }

    public ReadOnlySpan<T> W => _w;

    /// <summary>One step of a single run (R = 1); returns the loss at W before the step.</summary>
    public double Step(T lr) => Step([lr])[0];

    /// <summary>One step of every run, run r with step size <paramref name="lrs"/>[r]; returns the losses before the step.</summary>
    public ReadOnlySpan<double> Step(ReadOnlySpan<T> lrs)
    {
        if (lrs.Length != _runs) throw new ArgumentException($"{lrs.Length} step sizes for {_runs} runs.");
        int c = _c, wc = _c * _runs, runs = _runs;
        Gemm(false, _n, wc, _d, T.One, _x, _d, _w, _z);
        ManagedLinearAlgebraProvider.RowParallel(_n, wc, i =>
        {
            int y = _y[i];
            for (int r = 0; r < runs; r++)
            {
                var z = _z.AsSpan(i * wc + r * c, c);
                T m = z[0];
                for (int j = 1; j < c; j++) if (z[j] > m) m = z[j];
                T s = T.Zero;
                for (int j = 0; j < c; j++) { z[j] = T.Exp(z[j] - m); s += z[j]; }
                _rowLoss[r * _n + i] = double.CreateTruncating(T.Log(s) - T.Log(z[y]));
                T inv = T.One / s;
                for (int j = 0; j < c; j++) z[j] *= inv;
                z[y] -= T.One;
            }
        });
        Gemm(true, _d, wc, _n, T.One / T.CreateTruncating(_n), _x, _d, _z, _g);
        for (int j = 0; j < _d; j++)
            for (int r = 0; r < runs; r++)
            {
                T step = lrs[r];
                var w = _w.AsSpan(j * wc + r * c, c); var g = _g.AsSpan(j * wc + r * c, c);
                for (int a = 0; a < c; a++) w[a] -= step * g[a];
            }
        for (int r = 0; r < runs; r++)
        {
            double loss = 0;
            foreach (var l in _rowLoss.AsSpan(r * _n, _n)) loss += l;
            _loss[r] = loss / _n;
        }
        return _loss;
    }

    private void Gemm(bool transA, int m, int n, int k, T alpha, T[] a, int lda, T[] b, T[] cOut)
    {
        if (typeof(T) == typeof(double))
            _la.Gemm(transA, false, m, n, k, double.CreateTruncating(alpha), (double[])(object)a, lda, (double[])(object)b, n, 0.0, (double[])(object)cOut, n);
        else
            _la.Gemm(transA, false, m, n, k, float.CreateTruncating(alpha), (float[])(object)a, lda, (float[])(object)b, n, 0f, (float[])(object)cOut, n);
    }
}
