using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;

namespace HeavyTail.Ode.Training;

/// <summary>An observer whose records form a table (one row per observed (run, step)), which a run cache can store with the run.</summary>
public interface ITableObserver : ITrainingObserver
{
    /// <summary>Name of the table (a file-name part: lower case, dashes).</summary>
    string Name { get; }
    /// <summary>The column names; the first is step.</summary>
    IReadOnlyList<string> Header { get; }
    /// <summary>Run r's rows, in step order.</summary>
    IReadOnlyList<double[]> Rows(int run);
}

/// <summary>Records, per run, one table row per observed step; <see cref="Measure"/> gives the row's values after the step.</summary>
public abstract class TableObserver(int runs) : ITableObserver
{
    private readonly List<double[]>[] _rows = Enumerable.Range(0, runs).Select(_ => new List<double[]>()).ToArray();

    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public abstract IReadOnlyList<string> Header { get; }
    /// <inheritdoc/>
    public IReadOnlyList<double[]> Rows(int run) => _rows[run];

    /// <summary>A row of the run's measurements; NaN in every column after the step when the run diverged there (its W is not finite).</summary>
    public void Observe(int run, int step, double loss, IStepper stepper) =>
        _rows[run].Add(double.IsFinite(loss) ? [step, .. Measure(run, step, loss, stepper)] : [step, .. Enumerable.Repeat(double.NaN, Header.Count - 1)]);

    /// <summary>The row after its leading step column.</summary>
    protected abstract double[] Measure(int run, int step, double loss, IStepper stepper);
}

/// <summary>
/// The per-class statistics of the paper's Figure 10 at each logged W (<see cref="PerClassStatistics"/>): the loss, Spearman
/// ρ of the class-block gradient norms and Hessian block traces with the class frequency, the gradient heterogeneity (CV and
/// max/min of the block norms, Tomihari &amp; Sato), and the c norms and c traces.
/// </summary>
public sealed class PerClassStatisticsObserver(LinearModel model, int runs = 1) : TableObserver(runs)
{
    /// <summary>The table's name, per-class-stats.</summary>
    public const string TableName = "per-class-stats";

    /// <inheritdoc/>
    public override string Name => TableName;

    /// <summary>step, loss, the Spearman correlations of gradient norm and block trace with class frequency, cv, max_min, then grad_norm_k and trace_k for every class.</summary>
    public override IReadOnlyList<string> Header { get; } =
        ["step", "loss", "spearman_grad_freq", "spearman_trace_freq", "cv", "max_min",
         .. Enumerable.Range(0, model.C).Select(k => $"grad_norm_{k}"), .. Enumerable.Range(0, model.C).Select(k => $"trace_{k}")];

    /// <inheritdoc/>
    protected override double[] Measure(int run, int step, double loss, IStepper stepper)
    {
        var s = PerClassStatistics.Compute(model, stepper.Weights(run));
        return [s.Loss, s.SpearmanGradFrequency, s.SpearmanTraceFrequency, s.Heterogeneity.CoefficientOfVariation, s.Heterogeneity.MaxMinRatio,
                .. s.PerClassGradNorm, .. s.PerClassHessianTrace];
    }
}

/// <summary>The loss of each class's samples at each logged W (<see cref="LinearModel.PerClassLoss"/>): the one-hot theory model's curves.</summary>
public sealed class PerClassLossObserver(LinearModel model, int runs = 1) : TableObserver(runs)
{
    /// <inheritdoc/>
    public override string Name => "per-class-loss";

    /// <summary>step, then class_k_loss for every class.</summary>
    public override IReadOnlyList<string> Header { get; } = ["step", .. Enumerable.Range(0, model.C).Select(k => $"class_{k}_loss")];

    /// <inheritdoc/>
    protected override double[] Measure(int run, int step, double loss, IStepper stepper) => model.PerClassLoss(stepper.Weights(run));
}

/// <summary>
/// Gradient heterogeneity across the class blocks W[:, k] at each logged W (Tomihari &amp; Sato 2025): columns step, cv
/// (population std / mean of ‖G[:, k]‖) and max_min (max/min of ‖G[:, k]‖), without the Hessian and correlation work of
/// <see cref="PerClassStatisticsObserver"/>.
/// </summary>
public sealed class HeterogeneityObserver(LinearModel model, int runs = 1) : TableObserver(runs)
{
    /// <summary>The table's name, heterogeneity.</summary>
    public const string TableName = "heterogeneity";

    private readonly double[] _g = new double[model.ParameterCount];

    /// <inheritdoc/>
    public override string Name => TableName;
    /// <summary>step, cv, max_min.</summary>
    public override IReadOnlyList<string> Header { get; } = ["step", "cv", "max_min"];

    /// <inheritdoc/>
    protected override double[] Measure(int run, int step, double loss, IStepper stepper)
    {
        model.LossAndGradient(stepper.Weights(run), _g);
        var h = GradientHeterogeneity.FromBlockNorms(PerClassStatistics.ColumnNorms(_g, model.D, model.C));
        return [h.CoefficientOfVariation, h.MaxMinRatio];
    }
}

/// <summary>
/// A closed form overlaid on a run: at each logged step the per-class losses at W and the exact per-class losses
/// <c>exact(t, k)</c> at t = <paramref name="timePerStep"/>·step (e.g. the gradient-flow solution of the one-hot model at
/// t = η·step). Columns step, t, class_k_loss…, theory_class_k_loss…; <see cref="MaxRelativeDeviation"/> is
/// max |ℓ_k − exact_k| / exact_k over the rows of a run.
/// </summary>
public sealed class TheoryOverlayObserver(LinearModel model, Func<double, int, double> exact, double timePerStep, int runs = 1) : TableObserver(runs)
{
    private readonly double[] _maxDeviation = new double[runs];

    /// <inheritdoc/>
    public override string Name => "theory-overlay";

    /// <summary>step, t, class_k_loss for every class, then theory_class_k_loss for every class.</summary>
    public override IReadOnlyList<string> Header { get; } =
        ["step", "t", .. Enumerable.Range(0, model.C).Select(k => $"class_{k}_loss"), .. Enumerable.Range(0, model.C).Select(k => $"theory_class_{k}_loss")];

    /// <summary>max_k,rows |ℓ_k − exact_k| / exact_k over the rows of run <paramref name="run"/> so far.</summary>
    public double MaxRelativeDeviation(int run) => _maxDeviation[run];

    /// <summary>Run r's per-class losses, one array per logged step.</summary>
    public IReadOnlyList<double[]> PerClassLosses(int run) => Rows(run).Select(r => r[2..(2 + model.C)]).ToList();

    /// <inheritdoc/>
    protected override double[] Measure(int run, int step, double loss, IStepper stepper)
    {
        double t = step * timePerStep;
        var losses = model.PerClassLoss(stepper.Weights(run));
        var theory = new double[model.C];
        for (int k = 0; k < model.C; k++)
        {
            theory[k] = exact(t, k);
            _maxDeviation[run] = Math.Max(_maxDeviation[run], Math.Abs(losses[k] - theory[k]) / theory[k]);
        }
        return [t, .. losses, .. theory];
    }
}

/// <summary>
/// The size of W along training: columns step, frobenius (‖W‖_F), max_block and mean_block (the largest and the mean of
/// the class-block norms ‖W[:, k]‖) — for claims about parameter growth (e.g. sign descent with and without momentum).
/// </summary>
public sealed class WeightNormObserver(LinearModel model, int runs = 1) : TableObserver(runs)
{
    /// <summary>The table's name, weight-norms.</summary>
    public const string TableName = "weight-norms";

    /// <inheritdoc/>
    public override string Name => TableName;
    /// <summary>step, frobenius, max_block, mean_block.</summary>
    public override IReadOnlyList<string> Header { get; } = ["step", "frobenius", "max_block", "mean_block"];

    /// <inheritdoc/>
    protected override double[] Measure(int run, int step, double loss, IStepper stepper)
    {
        var w = stepper.Weights(run);
        var blocks = PerClassStatistics.ColumnNorms(w, model.D, model.C);
        double frob = Math.Sqrt(blocks.Sum(b => b * b));
        return [frob, blocks.Max(), blocks.Average()];
    }
}
