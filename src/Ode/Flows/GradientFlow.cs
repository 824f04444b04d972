using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Flows;

/// <summary>Gradient flow dW/dt = −∇L(W); along it dL/dt = −‖∇L‖². The limit of GD with time t = η·step.</summary>
public sealed class GradientFlow(LinearModel model) : ModelFlow(model)
{
    public override string Name => "gradient";

    public override void Evaluate(double t, double[] y, double[] dydt) => Model.LossAndGradient(y, dydt, gradientScale: -1.0);

    public override double PredictedDissipation(double[] g) { double s = 0; foreach (var v in g) s += v * v; return -s; }
}
