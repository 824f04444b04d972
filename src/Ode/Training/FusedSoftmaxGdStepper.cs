using System.Numerics;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Ode.Training;

/// <summary>
/// Full-batch softmax-regression gradient descent in T = float or double for R runs with their own step sizes, fused:
/// <see cref="Evaluate"/> forms Z = XW and, per row, the vectorised softmax cross-entropy pass (max subtracted) that
/// returns the loss and overwrites Z with (η_r/n)(P − Y); <see cref="Update"/> is then W ← W − Xᵀ[(η/n)(P − Y)] = W − η·G
/// as one GEMM with β = 1 (the gradient is accumulated straight into W: no G buffer, no separate update pass).
/// The weights sit side by side, W = [W_1 … W_R] (d × R·c), so both GEMMs read X once for all runs. Buffers are allocated
/// once; a step allocates nothing; on a packing backend X and Xᵀ are packed once here (<see cref="SharedLeftOperand{T}"/>:
/// two copies of X in T, the array is not kept). The benchmark's float32 unit (`bench`, float32 rows and grid); the toolkit's runs
/// (`--dtype float32`) train through <see cref="BatchedLinearStepper{T}"/>, which has every optimizer.
/// </summary>
/// <remarks>Rounding differs from gd through <see cref="BatchedLinearStepper"/> (G is never formed), within float budgets.</remarks>
public sealed class FusedSoftmaxGdStepper<T> : IStepper where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _w, _z;
    // X for Z = X·W and Xᵀ for Xᵀ·R: packed once on a packing backend (the array itself otherwise)
    private readonly SharedLeftOperand<T> _xOp, _xtOp;
    private readonly int[] _y;
    private readonly int _n, _d, _c, _runs;
    private readonly ILinearAlgebraProvider _la;
    private readonly double[] _rowLoss, _loss;
    private readonly T[] _scale;
    private readonly FrequencyGroups? _groups;

    /// <param name="lrs">one step size per run.</param>
    /// <param name="groups">frequency groups for per-group losses (null: none).</param>
    public FusedSoftmaxGdStepper(T[] x, int[] y, int n, int d, int c, ILinearAlgebraProvider la, IReadOnlyList<double> lrs, FrequencyGroups? groups = null)
    {
        ArgumentNullException.ThrowIfNull(lrs);
        Guard.Positive(lrs.Count, "runs");
        Guard.Length(x.Length, n * d, nameof(x), $"n×d = {n}×{d}");
        Guard.Length(y.Length, n, nameof(y), "one label per row");
        Guard.Labels(y, c, nameof(y));
        int runs = lrs.Count;
        _xOp = new SharedLeftOperand<T>(la!, false, n, d, x, d); _xtOp = new SharedLeftOperand<T>(la!, true, d, n, x, d);
        _y = y; _n = n; _d = d; _c = c; _la = la ?? throw new ArgumentNullException(nameof(la)); _runs = runs; _groups = groups;
        _w = new T[d * c * runs]; _z = new T[n * c * runs];
        _rowLoss = new double[n * runs];
        _loss = new double[runs];
        _scale = new T[runs];
        for (int r = 0; r < runs; r++)
        {
            if (!double.IsFinite(lrs[r]) || lrs[r] < 0) throw new ArgumentException($"learning rate {lrs[r]} must be finite and ≥ 0.", nameof(lrs));
            _scale[r] = T.CreateTruncating(lrs[r]) / T.CreateTruncating(n);
        }
    }

    /// <summary>W = [W_1 … W_R], d × R·c.</summary>
    public ReadOnlySpan<T> W => _w;

    /// <inheritdoc/>
    public int Runs => _runs;
    /// <inheritdoc/>
    public int Groups => _groups?.K ?? 0;

    /// <inheritdoc/>
    public ReadOnlySpan<double> Evaluate(bool logged, bool willUpdate)
    {
        int c = _c, wc = _c * _runs, runs = _runs, n = _n;
        _xOp.Gemm(wc, T.One, _w, wc, T.Zero, _z, wc);
        _la.RowPass(_n, wc, i =>
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
        for (int r = 0; r < runs; r++) _loss[r] = VectorMath.Sum(_rowLoss.AsSpan(r * n, n)) / n;
        return _loss;
    }

    /// <inheritdoc/>
    public double[] GroupLosses(int run)
    {
        if (_groups == null) return [];
        var sum = new double[_groups.K]; var count = new int[_groups.K];
        for (int i = 0; i < _n; i++) { int g = _groups.GroupOf[_y[i]]; sum[g] += _rowLoss[run * _n + i]; count[g]++; }
        return Enumerable.Range(0, _groups.K).Select(g => count[g] > 0 ? sum[g] / count[g] : double.NaN).ToArray();
    }

    /// <inheritdoc/>
    public void Update(ReadOnlySpan<bool> active)
    {
        int wc = _c * _runs;
        for (int r = 0; r < _runs; r++)
            if (!active[r])
                for (int i = 0; i < _n; i++) Array.Clear(_z, i * wc + r * _c, _c);
        _xtOp.Gemm(wc, -T.One, _z, wc, T.One, _w, wc);
    }

    /// <summary>One evaluation and update of every run (the benchmark's unit); returns the losses at W before the step.</summary>
    public ReadOnlySpan<double> Step()
    {
        var loss = Evaluate(false, true);
        Update(AllActive());
        return loss;
    }

    private bool[]? _allActive;
    private bool[] AllActive() => _allActive ??= Enumerable.Repeat(true, _runs).ToArray();

    /// <inheritdoc/>
    public double[] Weights(int run)
    {
        int wc = _c * _runs;
        var w = new double[_d * _c];
        for (int j = 0; j < _d; j++)
            for (int a = 0; a < _c; a++) w[j * _c + a] = double.CreateTruncating(_w[j * wc + run * _c + a]);
        return w;
    }
}
