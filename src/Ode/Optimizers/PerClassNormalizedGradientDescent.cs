using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// pcngd (per-class normalized GD, Francazi et al. 2023): W −= η·(1/K) Σ_k g_k/‖g_k‖ over the K classes present, where g_k
/// is the gradient of the loss on class k's samples (<see cref="LinearModel.PerClassGradients"/>); classes with g_k = 0 add 0.
/// The full gradient passed to <see cref="Optimizer.Step"/> is not used.
/// </summary>
public sealed class PerClassNormalizedGradientDescent(double lr, LinearModel model) : Optimizer(lr)
{
    private double[]? _dir;

    public override string Name => "pcngd";

    protected override void Update(double[] w, double[] g, int t)
    {
        var dir = _dir ??= new double[w.Length];
        Array.Clear(dir);
        int classes = 0;
        model.PerClassGradients(w, (_, gk) =>
        {
            classes++;
            double n = Norm(gk);
            if (n == 0) return;
            for (int i = 0; i < dir.Length; i++) dir[i] += gk[i] / n;
        });
        if (classes == 0) return;
        for (int i = 0; i < w.Length; i++) w[i] -= LearningRate * dir[i] / classes;
    }
}
