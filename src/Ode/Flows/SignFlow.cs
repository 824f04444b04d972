using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Flows;

/// <summary>
/// Sign flow dW/dt = −sign(∇L(W)); along it dL/dt = −‖∇L‖₁. The limit of sign descent with t = η·step, and of Adam
/// with fixed β1, β2 (not scaled with η) as η → 0.
/// </summary>
/// <remarks>
/// The right-hand side is discontinuous where a gradient coordinate is 0. Convention: sign(0) = 0 (as torch.sign),
/// so a coordinate whose gradient is exactly 0 does not move. Where a coordinate's gradient changes sign the exact
/// solution slides along the switching surface (Filippov); an explicit solver instead chatters across it with steps
/// of size ≈ h, and an adaptive controller shrinks h there. Use <see cref="Delta"/> &gt; 0 for the smoothed field
/// −g/√(g² + δ²), which is Lipschitz and tends to the exact one as δ → 0 (pointwise for g ≠ 0).
/// </remarks>
public sealed class SignFlow(LinearModel model, double delta = 0) : ModelFlow(model)
{
    /// <summary>The smoothing δ ≥ 0: dW/dt = −g/√(g² + δ²); 0 is the exact sign flow.</summary>
    public double Delta { get; } = delta >= 0 && double.IsFinite(delta) ? delta : throw new ArgumentException($"delta = {delta} must be finite and ≥ 0.", nameof(delta));

    /// <summary>sign, or sign(δ=…) for the smoothed field.</summary>
    public override string Name => Delta == 0 ? "sign" : $"sign(δ={Delta})";

    /// <summary>True for the exact sign field (δ = 0), which jumps where a gradient coordinate crosses 0.</summary>
    public override bool Discontinuous => Delta == 0;

    private double[]? _sign, _w;

    /// <remarks>
    /// For δ = 0 the signs come from <see cref="LinearModel.GradientSign"/>, exact even where the gradient underflows
    /// (far along the flow on separable data), so the flow does not stall at t ≈ 370 in double precision.
    /// </remarks>
    public override void Evaluate(double t, double[] y, double[] dydt)
    {
        if (Delta == 0)
        {
            var w = _w ??= new double[P];
            Array.Copy(y, w, P);
            var s = _sign ??= new double[P];
            Model.GradientSign(w, s);
            for (int i = 0; i < P; i++) dydt[i] = -s[i];
            return;
        }
        GradientAt(y);
        for (int i = 0; i < P; i++) dydt[i] = -Direction(Grad[i], Delta);
    }

    /// <summary>sign(g) for δ = 0, else g/√(g² + δ²).</summary>
    public static double Direction(double g, double delta) =>
        delta == 0 ? Math.Sign(g) : g / Math.Sqrt(g * g + delta * delta);

    /// <summary>dL/dt = −‖∇L‖₁ (δ = 0), or −Σ g²/√(g² + δ²).</summary>
    public override double PredictedDissipation(double[] g)
    {
        double s = 0;
        foreach (var v in g) s += v * Direction(v, Delta);
        return -s;
    }
}
