namespace HeavyTail.Ode.Optimizers;

/// <summary>normalized: W −= η g/‖g‖ (Frobenius; no step when g = 0).</summary>
public sealed class NormalizedDescent(double lr) : Optimizer(lr)
{
    public override string Name => "normalized";
    protected override void Update(double[] w, double[] g, int t)
    {
        double n = Norm(g);
        if (n == 0) return;
        for (int i = 0; i < w.Length; i++) w[i] -= LearningRate * (g[i] / n);
    }
}

/// <summary>normalized-m: momentum over d_t = g_t/‖g_t‖: b_1 = d_1, b_t = μ b_{t−1} + d_t, W −= η b_t.</summary>
public sealed class NormalizedDescentMomentum(double lr, double momentum) : MomentumOptimizer(lr, momentum)
{
    public override string Name => "normalized-m";
    protected override void Direction(double[] g, double[] d)
    {
        double n = Norm(g);
        for (int i = 0; i < g.Length; i++) d[i] = n == 0 ? 0.0 : g[i] / n;
    }
}
