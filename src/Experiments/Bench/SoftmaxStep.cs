using System.Numerics;
using HeavyTail.Analytic;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Experiments.Bench;

/// <summary>
/// One full-batch softmax-regression GD step in T = float or double on a provider, the unit the benchmark times against
/// PyTorch/NumPy: Z = XW; row softmax with the max subtracted; mean cross-entropy; G = Xᵀ(P − Y)/n; W −= ηG. Buffers are
/// allocated once; the step itself allocates nothing.
/// </summary>
public sealed class SoftmaxStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _x, _w, _z, _g;
    private readonly int[] _y;
    private readonly int _n, _d, _c;
    private readonly ILinearAlgebraProvider _la;
    private readonly double[] _rowLoss;

    public SoftmaxStep(T[] x, int[] y, int n, int d, int c, ILinearAlgebraProvider la)
    {
        _x = x; _y = y; _n = n; _d = d; _c = c; _la = la;
        _w = new T[d * c]; _z = new T[n * c]; _g = new T[d * c];
        _rowLoss = new double[n];
    }

    public ReadOnlySpan<T> W => _w;

    public double Step(T lr)
    {
        Gemm(false, _n, _c, _d, T.One, _x, _d, _w, _z);
        int c = _c;
        ManagedLinearAlgebraProvider.RowParallel(_n, _c, i =>
        {
            var z = _z.AsSpan(i * c, c);
            int y = _y[i];
            T m = z[0];
            for (int j = 1; j < c; j++) if (z[j] > m) m = z[j];
            T s = T.Zero;
            for (int j = 0; j < c; j++) { z[j] = T.Exp(z[j] - m); s += z[j]; }
            T zy = z[y];
            _rowLoss[i] = double.CreateTruncating(T.Log(s) - T.Log(zy));
            T inv = T.One / s;
            for (int j = 0; j < c; j++) z[j] *= inv;
            z[y] -= T.One;
        });
        Gemm(true, _d, _c, _n, T.One / T.CreateTruncating(_n), _x, _d, _z, _g);
        T step = lr;
        for (int q = 0; q < _w.Length; q++) _w[q] -= step * _g[q];
        double loss = 0;
        foreach (var l in _rowLoss) loss += l;
        return loss / _n;
    }

    private void Gemm(bool transA, int m, int n, int k, T alpha, T[] a, int lda, T[] b, T[] cOut)
    {
        if (typeof(T) == typeof(double))
            _la.Gemm(transA, false, m, n, k, double.CreateTruncating(alpha), (double[])(object)a, lda, (double[])(object)b, n, 0.0, (double[])(object)cOut, n);
        else
            _la.Gemm(transA, false, m, n, k, float.CreateTruncating(alpha), (float[])(object)a, lda, (float[])(object)b, n, 0f, (float[])(object)cOut, n);
    }
}
