using System.Numerics;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Ode.Training;

/// <summary>
/// One full-batch run of a <see cref="LinearModel"/>: each evaluation is one pass for the loss, the per-sample losses and
/// ∇L at W (per-group losses from the per-sample ones); a non-finite W evaluates to NaN without a pass.
/// </summary>
public sealed class LinearModelStepper : IStepper
{
    private readonly LinearModel _model;
    private readonly Optimizer _optimizer;
    private readonly FrequencyGroups _groups;
    private readonly double[] _w, _g, _losses, _loss = new double[1];

    /// <summary>One run of <paramref name="optimizer"/> on <paramref name="model"/> from <paramref name="w0"/> (zeros when null), with per-group losses for <paramref name="groups"/>.</summary>
    public LinearModelStepper(LinearModel model, Optimizer optimizer, FrequencyGroups groups, double[]? w0 = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _groups = groups ?? throw new ArgumentNullException(nameof(groups));
        if (w0 != null && w0.Length != model.ParameterCount) throw new ArgumentException($"W0 has length {w0.Length}, expected d·c = {model.ParameterCount}.", nameof(w0));
        _w = w0 != null ? (double[])w0.Clone() : new double[model.ParameterCount];
        _g = new double[_w.Length];
        _losses = new double[model.N];
    }

    /// <summary>The model being trained.</summary>
    public LinearModel Model => _model;
    /// <summary>1: one run.</summary>
    public int Runs => 1;
    /// <inheritdoc/>
    public int Groups => _groups.K;

    /// <inheritdoc/>
    public ReadOnlySpan<double> Evaluate(bool logged, bool willUpdate)
    {
        _loss[0] = Array.TrueForAll(_w, double.IsFinite) ? _model.LossAndGradient(_w, _g, _losses) : double.NaN;
        return _loss;
    }

    /// <inheritdoc/>
    public double[] GroupLosses(int run) => _model.PerGroupLossFromSamples(_losses, _groups);

    /// <inheritdoc/>
    public void Update(ReadOnlySpan<bool> active)
    {
        if (active[0]) _optimizer.Step(_w, _g);
    }

    /// <inheritdoc/>
    public double[] Weights(int run) => (double[])_w.Clone();
}

/// <summary>
/// R full-batch runs on the same data advanced together (a step-size grid, several optimizers): their weights sit side by
/// side in one d × R·c matrix, so each evaluation is one wide GEMM that reads X once for all runs, then per-run residuals
/// (<see cref="LinearModel.LossAndGradientBatched{T}"/>); each run keeps its own optimizer state. Each run's numbers equal
/// those of a <see cref="LinearModelStepper"/> run alone.
/// </summary>
/// <remarks>
/// T is the precision the runs compute in, as PyTorch with parameters of dtype T: W, ∇L, the logits and residuals and the
/// optimizer states are T; both GEMMs are the provider's T GEMM; per-sample losses and the reported losses are float64
/// (see <see cref="LinearModel.LossAndGradientBatched{T}"/> for the float32 softmax convention). All runs start from W0
/// (rounded to T; zeros when not given).
/// </remarks>
public class BatchedLinearStepper<T> : IStepper where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly LinearModel _model;
    private readonly IReadOnlyList<Optimizer> _optimizers;
    private readonly FrequencyGroups _groups;
    private readonly T[] _wWide, _gWide;
    private readonly T[][] _w, _g;
    private readonly double[][] _losses;
    private double[] _loss = [];

    /// <summary>R runs on <paramref name="model"/>, one per optimizer, all from <paramref name="w0"/> rounded to T (zeros when null), with per-group losses for <paramref name="groups"/>.</summary>
    public BatchedLinearStepper(LinearModel model, IReadOnlyList<Optimizer> optimizers, FrequencyGroups groups, double[]? w0 = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _optimizers = optimizers ?? throw new ArgumentNullException(nameof(optimizers));
        _groups = groups ?? throw new ArgumentNullException(nameof(groups));
        int runs = optimizers.Count, d = model.D, c = model.C, wc = runs * c;
        if (w0 != null && w0.Length != model.ParameterCount) throw new ArgumentException($"W0 has length {w0.Length}, expected d·c = {model.ParameterCount}.", nameof(w0));
        _wWide = new T[d * wc];
        _gWide = new T[d * wc];
        _w = Enumerable.Range(0, runs).Select(_ => new T[d * c]).ToArray();
        _g = Enumerable.Range(0, runs).Select(_ => new T[d * c]).ToArray();
        _losses = Enumerable.Range(0, runs).Select(_ => new double[model.N]).ToArray();
        if (w0 != null)
            for (int r = 0; r < runs; r++)
                for (int j = 0; j < d; j++)
                    for (int a = 0; a < c; a++) _wWide[j * wc + r * c + a] = _w[r][j * c + a] = T.CreateTruncating(w0[j * c + a]);
    }

    /// <summary>The number of runs R (one per optimizer).</summary>
    public int Runs => _optimizers.Count;
    /// <inheritdoc/>
    public int Groups => _groups.K;

    /// <inheritdoc/>
    public ReadOnlySpan<double> Evaluate(bool logged, bool willUpdate)
    {
        // the last evaluation (no update follows) skips the gradient's GEMM
        _loss = _model.LossAndGradientBatched(_wWide, Runs, _gWide, _losses, willUpdate);
        return _loss;
    }

    /// <inheritdoc/>
    public double[] GroupLosses(int run) => _model.PerGroupLossFromSamples(_losses[run], _groups);

    /// <remarks>
    /// The runs' steps are independent (each its own optimizer, state and W block), so they run side by side on up to the
    /// provider's thread count; each run's numbers are those of a run alone, whatever the thread count.
    /// </remarks>
    public void Update(ReadOnlySpan<bool> active)
    {
        int d = _model.D, c = _model.C, wc = Runs * c;
        var act = active.ToArray();
        void StepRun(int r)
        {
            if (!act[r]) return;
            for (int j = 0; j < d; j++) Array.Copy(_gWide, j * wc + r * c, _g[r], j * c, c);
            _optimizers[r].Step(_w[r], _g[r]);
            for (int j = 0; j < d; j++) Array.Copy(_w[r], j * c, _wWide, j * wc + r * c, c);
        }
        int threads = Math.Min(Runs, _model.LinearAlgebra.Threads);
        if (threads <= 1) for (int r = 0; r < Runs; r++) StepRun(r);
        else Parallel.For(0, Runs, new ParallelOptions { MaxDegreeOfParallelism = threads }, StepRun);
    }

    /// <inheritdoc/>
    public double[] Weights(int run) => _w[run].Select(double.CreateTruncating).ToArray();
}

/// <summary>The float64 batch (<see cref="BatchedLinearStepper{T}"/> with T = double).</summary>
public sealed class BatchedLinearStepper(LinearModel model, IReadOnlyList<Optimizer> optimizers, FrequencyGroups groups)
    : BatchedLinearStepper<double>(model, optimizers, groups);

/// <summary>The stepper for full-batch runs of a linear model in a precision.</summary>
public static class LinearSteppers
{
    /// <summary>
    /// float64: one <see cref="LinearModelStepper"/> run, or a <see cref="BatchedLinearStepper"/> batch; float32: a
    /// <see cref="BatchedLinearStepper{T}"/> of float (one run or many). Every run starts at <paramref name="w0"/> (zeros when null).
    /// </summary>
    public static IStepper Create(LinearModel model, IReadOnlyList<Optimizer> optimizers, FrequencyGroups groups, Precision precision = Precision.Float64, double[]? w0 = null)
    {
        ArgumentNullException.ThrowIfNull(optimizers);
        Guard.Positive(optimizers.Count, "runs");
        if (precision == Precision.Float32) return new BatchedLinearStepper<float>(model, optimizers, groups, w0);
        return optimizers.Count == 1 ? new LinearModelStepper(model, optimizers[0], groups, w0) : new BatchedLinearStepper<double>(model, optimizers, groups, w0);
    }
}
