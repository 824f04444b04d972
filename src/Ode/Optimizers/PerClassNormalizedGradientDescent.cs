using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// pcngd (per-class normalized GD, Francazi et al. 2023): W −= η·(1/K) Σ_k g_k/‖g_k‖ over the K classes present with g_k ≠ 0,
/// where g_k is the gradient of the loss on class k's samples (<see cref="LinearModel.PerClassNormalizedDirection"/>).
/// The full gradient passed to <see cref="Optimizer.Step"/> is not used.
/// </summary>
public sealed class PerClassNormalizedGradientDescent(double lr, LinearModel model) : Optimizer(lr)
{
    private double[]? _dir;

    public override string Name => "pcngd";

    protected override void Update(double[] w, double[] g, int t)
    {
        var dir = _dir ??= new double[w.Length];
        model.PerClassNormalizedDirection(w, dir);
        for (int i = 0; i < w.Length; i++) w[i] -= LearningRate * dir[i];
    }
}
