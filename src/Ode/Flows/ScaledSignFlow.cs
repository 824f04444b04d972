using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Flows;

/// <summary>
/// Rescaled sign flow dW/dt = −sign(∇L)·‖∇L‖₁ (sign(0) = 0); along it dL/dt = −‖∇L‖₁². The limit of scaled-sign descent
/// with t = η·step. Discontinuous where a gradient coordinate crosses 0 (as <see cref="SignFlow"/>).
/// </summary>
public sealed class ScaledSignFlow(LinearModel model) : ModelFlow(model)
{
    /// <inheritdoc/>
    public override string Name => "scaled-sign";

    /// <summary>True: the field jumps where a gradient coordinate crosses 0, so it is integrated with fixed steps.</summary>
    public override bool Discontinuous => true;

    /// <summary>dW/dt = −sign(∇L)·‖∇L‖₁.</summary>
    public override void Evaluate(double t, double[] y, double[] dydt)
    {
        GradientAt(y);
        double l1 = 0;
        foreach (var g in Grad) l1 += Math.Abs(g);
        for (int i = 0; i < P; i++) dydt[i] = -Math.Sign(Grad[i]) * l1;
    }

    /// <summary>dL/dt = −‖∇L‖₁².</summary>
    public override double PredictedDissipation(double[] g)
    {
        double l1 = 0;
        foreach (var v in g) l1 += Math.Abs(v);
        return -l1 * l1;
    }
}

/// <summary>
/// Polar (spectral-sign) flow dW/dt = −s·polar(∇L) = −s·U Vᵀ for ∇L = U Σ Vᵀ (the d × c gradient matrix; singular values at
/// rounding level dropped, <see cref="PolarFactor.Exact"/>); along it dL/dt = −s·‖∇L‖_* (the nuclear norm). With s = 1 the
/// flow of the definition; muon and muon-exact tend to it with s = max(1, c/d)^½ and t = η·step (NS₅ only
/// approximates the polar factor, so muon's run sits off this flow by NS₅'s error; muon-exact's does not).
/// </summary>
/// <remarks>
/// The factor changes abruptly where a singular value of ∇L reaches 0 (the rank drops), so the flow is integrated like
/// sign flow, with fixed steps (<see cref="Discontinuous"/>). Each evaluation is one float64 QR + SVD of the d × c gradient.
/// </remarks>
public sealed class PolarFlow(LinearModel model, double scale = 1) : ModelFlow(model)
{
    private double[]? _polar;

    /// <summary>The scale s of dW/dt = −s·polar(∇L) (muon's max(1, c/d)^½).</summary>
    public double Scale { get; } = scale > 0 && double.IsFinite(scale) ? scale : throw new ArgumentException($"scale s = {scale} must be positive and finite.", nameof(scale));

    /// <inheritdoc/>
    public override string Name => "polar";

    /// <summary>True: the polar factor jumps where the gradient's rank drops, so it is integrated with fixed steps.</summary>
    public override bool Discontinuous => true;

    /// <summary>dW/dt = −s·polar(∇L) = −s·U Vᵀ for ∇L = U Σ Vᵀ.</summary>
    public override void Evaluate(double t, double[] y, double[] dydt)
    {
        GradientAt(y);
        var polar = _polar ??= new double[P];
        PolarFactor.Exact(Model.LinearAlgebra, Grad, Model.D, Model.C, polar);
        for (int i = 0; i < P; i++) dydt[i] = -Scale * polar[i];
    }

    /// <summary>dL/dt = −s·‖∇L‖_* (the nuclear norm, the sum of the singular values).</summary>
    public override double PredictedDissipation(double[] g) => -Scale * PolarFactor.NuclearNorm(Model.LinearAlgebra, g, Model.D, Model.C);
}
