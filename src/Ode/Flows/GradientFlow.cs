using HeavyTail.Analytic;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Flows;

/// <summary>Gradient flow dW/dt = −∇L(W); along it dL/dt = −‖∇L‖². The limit of GD with time t = η·step.</summary>
/// <remarks>With identity inputs (the one-hot model) and cross-entropy, row i of dW/dt is −w_i(softmax(W_i) − e_{y_i}), a function of
/// row i alone, so the flow is an <see cref="IRowSeparableField"/>.</remarks>
public sealed class GradientFlow(LinearModel model) : ModelFlow(model), IRowSeparableField
{
    /// <inheritdoc/>
    public bool IsRowSeparable { get; } = model.Data.IdentityInputs && model is SoftmaxCrossEntropyModel;
    /// <summary>c: a row of W is one sample's c logits (identity inputs).</summary>
    public int RowLength => Model.C;

    /// <inheritdoc/>
    public void EvaluateRows(double t, Span<double> yRows, Span<double> dydtRows, int firstRow)
    {
        int c = Model.C, rows = yRows.Length / c;
        var labels = Model.Data.Labels; var weights = Model.Data.Weights;
        for (int r = 0; r < rows; r++)
        {
            var row = dydtRows.Slice(r * c, c);
            yRows.Slice(r * c, c).CopyTo(row);
            Softmax.CrossEntropyGradientInPlace(row, labels[firstRow + r], -weights[firstRow + r]);
        }
    }

    /// <inheritdoc/>
    public override string Name => "gradient";

    /// <summary>dW/dt = −∇L(W).</summary>
    public override void Evaluate(double t, double[] y, double[] dydt) => Model.LossAndGradient(y, dydt, gradientScale: -1.0);

    /// <summary>dL/dt = −‖∇L‖².</summary>
    public override double PredictedDissipation(double[] g) { double s = 0; foreach (var v in g) s += v * v; return -s; }
}
