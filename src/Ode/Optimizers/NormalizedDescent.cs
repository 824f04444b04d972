namespace HeavyTail.Ode.Optimizers;

/// <summary>normalized: W −= η g/‖g‖ (Frobenius, Σ g² accumulated in float64; no step when g = 0).</summary>
public sealed class NormalizedDescent(double lr) : Optimizer(lr)
{
    /// <inheritdoc/>
    public override string Name => "normalized";
    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        double n = Norm(g);
        if (n == 0) return;
        T lr = Cast<T>(LearningRate), norm = Cast<T>(n);
        for (int i = 0; i < w.Length; i++) w[i] -= lr * (g[i] / norm);
    }
}

/// <summary>normalized-m: momentum over d_t = g_t/‖g_t‖: b_1 = d_1, b_t = μ b_{t−1} + d_t, W −= η b_t.</summary>
public sealed class NormalizedDescentMomentum(double lr, double momentum) : MomentumOptimizer(lr, momentum)
{
    /// <inheritdoc/>
    public override string Name => "normalized-m";
    /// <summary>d_t = g_t/‖g_t‖ (0 when g_t = 0).</summary>
    protected override void Direction<T>(T[] g, T[] d)
    {
        double n = Norm(g);
        T norm = Cast<T>(n);
        for (int i = 0; i < g.Length; i++) d[i] = n == 0 ? T.Zero : g[i] / norm;
    }
}
