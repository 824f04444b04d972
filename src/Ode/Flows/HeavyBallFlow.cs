using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Flows;

/// <summary>
/// Heavy-ball flow, state (W, V): dW/dt = V, dV/dt = −γV − ∇L(W), i.e. W'' + γW' + ∇L = 0.
/// </summary>
/// <remarks>
/// Limit of GD with momentum (PyTorch SGD: b_t = μ b_{t−1} + g_t, W −= η b_t): with V_t = −√η·b_t and time
/// t = √η·step, (W_{t+1} − W_t)/√η = V_t and (V_t − V_{t−1})/√η = −γ V_{t−1} − g_t with γ = (1 − μ)/√η.
/// So fix γ and let η → 0 with μ = 1 − γ√η. (With μ fixed instead, GD-m tends to gradient flow with step η/(1 − μ).)
/// </remarks>
public sealed class HeavyBallFlow(LinearModel model, double friction) : ModelFlow(model, auxiliaryBlocks: 1)
{
    /// <summary>The friction γ = (1 − μ)/√η (finite, ≥ 0).</summary>
    public double Friction { get; } = friction >= 0 && double.IsFinite(friction) ? friction : throw new ArgumentException($"friction γ = {friction} must be finite and ≥ 0.", nameof(friction));

    /// <inheritdoc/>
    public override string Name => "heavy-ball";

    /// <summary>dW/dt = V, dV/dt = −γV − ∇L(W) on the state (W, V).</summary>
    public override void Evaluate(double t, double[] y, double[] dydt)
    {
        GradientAt(y);
        for (int i = 0; i < P; i++)
        {
            double v = y[P + i];
            dydt[i] = v;
            dydt[P + i] = -Friction * v - Grad[i];
        }
    }

    /// <summary>γ for GD-m with step η and momentum μ: (1 − μ)/√η.</summary>
    public static double FrictionFor(double lr, double momentum) => (1 - momentum) / Math.Sqrt(lr);
}
