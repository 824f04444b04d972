namespace HeavyTail.Ode.Optimizers;

/// <summary>sign: W −= η sign(g), sign(0) = 0.</summary>
public sealed class SignDescent(double lr) : Optimizer(lr)
{
    /// <inheritdoc/>
    public override string Name => "sign";
    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        T lr = Cast<T>(LearningRate);
        for (int i = 0; i < w.Length; i++) w[i] -= lr * Sign(g[i]);
    }
}

/// <summary>sign-m: momentum over d_t = sign(g_t): b_1 = d_1, b_t = μ b_{t−1} + d_t, W −= η b_t.</summary>
public sealed class SignDescentMomentum(double lr, double momentum) : MomentumOptimizer(lr, momentum)
{
    /// <inheritdoc/>
    public override string Name => "sign-m";
    /// <summary>d_t = sign(g_t), sign(0) = 0.</summary>
    protected override void Direction<T>(T[] g, T[] d) { for (int i = 0; i < g.Length; i++) d[i] = Sign(g[i]); }
}
