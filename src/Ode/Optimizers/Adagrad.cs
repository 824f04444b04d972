namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// adagrad (PyTorch torch.optim.Adagrad semantics, lr_decay 0, initial accumulator 0): s += g², W −= η g/(√s + ε), ε = 1e-10.
/// </summary>
public sealed class Adagrad : Optimizer
{
    private double[]? _sum;

    public Adagrad(double lr, double eps = 1e-10) : base(lr)
    {
        if (!(eps >= 0)) throw new ArgumentException($"eps = {eps} must be ≥ 0.", nameof(eps));
        Eps = eps;
    }

    public double Eps { get; }
    public override string Name => "adagrad";

    protected override void Update(double[] w, double[] g, int t)
    {
        _sum ??= new double[g.Length];
        for (int i = 0; i < w.Length; i++)
        {
            _sum[i] += g[i] * g[i];
            w[i] -= LearningRate * (g[i] / (Math.Sqrt(_sum[i]) + Eps));
        }
    }
}
