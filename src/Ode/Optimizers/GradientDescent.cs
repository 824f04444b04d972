namespace HeavyTail.Ode.Optimizers;

/// <summary>gd: W −= η g.</summary>
public sealed class GradientDescent(double lr) : Optimizer(lr)
{
    /// <inheritdoc/>
    public override string Name => "gd";
    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        T lr = Cast<T>(LearningRate);
        for (int i = 0; i < w.Length; i++) w[i] -= lr * g[i];
    }
}

/// <summary>gd-m, heavy ball with PyTorch SGD semantics: b_1 = g_1, b_t = μ b_{t−1} + g_t, W −= η b_t.</summary>
public sealed class GradientDescentMomentum(double lr, double momentum) : MomentumOptimizer(lr, momentum)
{
    /// <inheritdoc/>
    public override string Name => "gd-m";
    /// <summary>d_t = g_t (heavy ball over the gradient).</summary>
    protected override void Direction<T>(T[] g, T[] d) => Array.Copy(g, d, g.Length);
}
