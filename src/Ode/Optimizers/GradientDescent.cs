namespace HeavyTail.Ode.Optimizers;

/// <summary>gd: W −= η g.</summary>
public sealed class GradientDescent(double lr) : Optimizer(lr)
{
    public override string Name => "gd";
    protected override void Update(double[] w, double[] g, int t) { for (int i = 0; i < w.Length; i++) w[i] -= LearningRate * g[i]; }
}

/// <summary>gd-m, heavy ball with PyTorch SGD semantics: b_1 = g_1, b_t = μ b_{t−1} + g_t, W −= η b_t.</summary>
public sealed class GradientDescentMomentum(double lr, double momentum) : MomentumOptimizer(lr, momentum)
{
    public override string Name => "gd-m";
    protected override void Direction(double[] g, double[] d) => Array.Copy(g, d, g.Length);
}
