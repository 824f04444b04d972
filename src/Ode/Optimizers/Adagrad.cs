namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// adagrad (PyTorch torch.optim.Adagrad semantics, lr_decay 0, initial accumulator 0): s += g², W −= η g/(√s + ε), ε = 1e-10.
/// </summary>
public sealed class Adagrad : Optimizer
{
    private Array? _sum;

    /// <summary>Adagrad with learning rate η = <paramref name="lr"/> and ε = <paramref name="eps"/> (PyTorch's default 1e-10).</summary>
    public Adagrad(double lr, double eps = 1e-10) : base(lr)
    {
        if (!(eps >= 0)) throw new ArgumentException($"eps = {eps} must be ≥ 0.", nameof(eps));
        Eps = eps;
    }

    /// <summary>ε, added to √s in the denominator.</summary>
    public double Eps { get; }
    /// <inheritdoc/>
    public override string Name => "adagrad";

    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        var sum = State<T>(ref _sum, g.Length);
        T lr = Cast<T>(LearningRate), eps = Cast<T>(Eps);
        for (int i = 0; i < w.Length; i++)
        {
            sum[i] += g[i] * g[i];
            w[i] -= lr * (g[i] / (T.Sqrt(sum[i]) + eps));
        }
    }
}
