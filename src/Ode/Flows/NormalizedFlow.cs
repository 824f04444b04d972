using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Flows;

/// <summary>Normalized flow dW/dt = −∇L/‖∇L‖ (Frobenius; 0 where ∇L = 0); along it dL/dt = −‖∇L‖.</summary>
public sealed class NormalizedFlow(LinearModel model) : ModelFlow(model)
{
    /// <inheritdoc/>
    public override string Name => "normalized";

    /// <summary>dW/dt = −∇L/‖∇L‖ (0 where ∇L = 0).</summary>
    public override void Evaluate(double t, double[] y, double[] dydt)
    {
        GradientAt(y);
        double n = Norm(Grad);
        double inv = n > 0 ? 1.0 / n : 0.0;
        for (int i = 0; i < P; i++) dydt[i] = -Grad[i] * inv;
    }

    /// <summary>dL/dt = −‖∇L‖.</summary>
    public override double PredictedDissipation(double[] g) => -Norm(g);

    private static double Norm(double[] g) { double s = 0; foreach (var v in g) s += v * v; return Math.Sqrt(s); }
}
