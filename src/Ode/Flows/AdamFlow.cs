using HeavyTail.Analytic;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Flows;

/// <summary>
/// The ODE Adam follows when β1 = 1 − aη, β2 = 1 − bη and η → 0 (time t = η·step), state (W, m, v):
/// m' = a(g − m), v' = b(g⊙g − v), W' = −m̂/(√v̂ + ε) with m̂ = m/(1 − e^(−at)), v̂ = v/(1 − e^(−bt)).
/// </summary>
/// <remarks>
/// Discrete Adam: m_t = β1 m + (1 − β1)g ⇒ (m_t − m_{t−1})/η = a(g − m); the bias correction 1 − β1^s with
/// s = t/η steps tends to 1 − e^(−at). At t = 0, m̂ = g(0) and v̂ = g(0)² (the limits of the corrections).
/// For fixed β1, β2 (not scaled with η), m and v equilibrate within O(1) steps and Adam's limit as η → 0 is
/// sign flow with ε → 0 (m̂/√v̂ → sign g), the regime of the paper's argument.
/// With <c>blockwise</c> (adam-blocks' flow) the second moment of every coordinate of class column k follows the column's
/// mean square instead: v' = b(mean_j g_jk² − v), so the coordinates of a column share one v (v starts at 0 for all).
/// </remarks>
public sealed class AdamFlow : ModelFlow
{
    private readonly double[]? _columnMeanSq;

    /// <summary>Adam's flow on <paramref name="model"/> with rates a, b (β₁ = 1 − aη, β₂ = 1 − bη), ε, and per-column second moments when <paramref name="blockwise"/> (adam-blocks).</summary>
    public AdamFlow(LinearModel model, double a, double b, double eps = 1e-8, bool blockwise = false) : base(model, auxiliaryBlocks: 2)
    {
        if (blockwise) _columnMeanSq = new double[model.C];
        if (!(a > 0) || !(b > 0) || !double.IsFinite(a) || !double.IsFinite(b))
            throw new ArgumentException($"rates a = {a}, b = {b} must be positive and finite (β1 = 1 − aη, β2 = 1 − bη).");
        if (!(eps >= 0)) throw new ArgumentException($"eps = {eps} must be ≥ 0.", nameof(eps));
        A = a; B = b; Eps = eps;
    }

    /// <summary>The rate a of the first moment, m' = a(g − m).</summary>
    public double A { get; }
    /// <summary>The rate b of the second moment, v' = b(g⊙g − v).</summary>
    public double B { get; }
    /// <summary>ε in W' = −m̂/(√v̂ + ε).</summary>
    public double Eps { get; }
    /// <summary>True for adam-blocks' flow: one second moment per class column.</summary>
    public bool Blockwise => _columnMeanSq != null;
    /// <inheritdoc/>
    public override string Name => Blockwise ? "adam-blocks" : "adam";

    /// <summary>a and b for discrete Adam with step η and β1, β2: a = (1 − β1)/η, b = (1 − β2)/η.</summary>
    public static (double A, double B) RatesFor(double lr, double beta1, double beta2) => ((1 - beta1) / lr, (1 - beta2) / lr);

    /// <inheritdoc/>
    public override void Evaluate(double t, double[] y, double[] dydt)
    {
        GradientAt(y);
        int p = P;
        double c1 = -SpecialFunctions.ExpM1(-A * t), c2 = -SpecialFunctions.ExpM1(-B * t);
        int cols = Model.C;
        if (_columnMeanSq is { } ms)
        {
            Array.Clear(ms);
            for (int i = 0; i < p; i++) ms[i % cols] += Grad[i] * Grad[i];
            for (int k = 0; k < cols; k++) ms[k] /= Model.D;
        }
        for (int i = 0; i < p; i++)
        {
            double g = Grad[i], m = y[p + i], v = y[2 * p + i];
            double g2 = _columnMeanSq is { } msq ? msq[i % cols] : g * g;
            double mh = t > 0 ? m / c1 : g;
            double vh = t > 0 ? v / c2 : g2;
            double den = Math.Sqrt(Math.Max(vh, 0)) + Eps;
            dydt[i] = den > 0 ? -mh / den : 0.0;
            dydt[p + i] = A * (g - m);
            dydt[2 * p + i] = B * (g2 - v);
        }
    }
}
