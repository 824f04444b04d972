namespace HeavyTail.Ode.Optimizers;

/// <summary>sign: W −= η sign(g), sign(0) = 0.</summary>
public sealed class SignDescent(double lr) : Optimizer(lr)
{
    public override string Name => "sign";
    protected override void Update(double[] w, double[] g, int t) { for (int i = 0; i < w.Length; i++) w[i] -= LearningRate * Sign(g[i]); }
}

/// <summary>sign-m: momentum over d_t = sign(g_t): b_1 = d_1, b_t = μ b_{t−1} + d_t, W −= η b_t.</summary>
public sealed class SignDescentMomentum(double lr, double momentum) : MomentumOptimizer(lr, momentum)
{
    public override string Name => "sign-m";
    protected override void Direction(double[] g, double[] d) { for (int i = 0; i < g.Length; i++) d[i] = Sign(g[i]); }
}
