using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// pcngd (per-class normalized GD, Francazi et al. 2023): W −= η·(1/K) Σ_k g_k/‖g_k‖ over the K classes present with g_k ≠ 0,
/// where g_k is the gradient of the loss on class k's samples (<see cref="LinearModel.PerClassNormalizedDirection"/>).
/// The full gradient passed to <see cref="Optimizer.Step{T}"/> is not used. The direction comes from the model's passes on
/// a float64 W (for float32 weights: W widened, the direction rounded to float32; the passes run in the model's precision).
/// </summary>
public sealed class PerClassNormalizedGradientDescent(double lr, LinearModel model) : Optimizer(lr)
{
    private double[]? _dir, _w;

    /// <inheritdoc/>
    public override string Name => "pcngd";

    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        var dir = _dir ??= new double[w.Length];
        if (w is double[] wd)
        {
            model.PerClassNormalizedDirection(wd, dir);
            for (int i = 0; i < w.Length; i++) wd[i] -= LearningRate * dir[i];
            return;
        }
        var wide = _w ??= new double[w.Length];
        for (int i = 0; i < w.Length; i++) wide[i] = double.CreateTruncating(w[i]);
        model.PerClassNormalizedDirection(wide, dir);
        T lr = Cast<T>(LearningRate);
        for (int i = 0; i < w.Length; i++) w[i] -= lr * Cast<T>(dir[i]);
    }
}
