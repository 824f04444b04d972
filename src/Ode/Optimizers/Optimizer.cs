namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// A full-batch discrete optimizer: W_{t} = W_{t−1} − η·(direction from g_t = ∇L(W_{t−1}) and the optimizer's state).
/// <see cref="Step"/> is called with the gradient at the current W and updates W in place; t counts from 1.
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(double lr)
    {
        if (!double.IsFinite(lr) || lr < 0) throw new ArgumentException($"learning rate {lr} must be finite and ≥ 0.", nameof(lr));
        LearningRate = lr;
    }

    public double LearningRate { get; }
    public int StepCount { get; private set; }
    public abstract string Name { get; }

    public void Step(double[] w, double[] g)
    {
        if (w.Length != g.Length) throw new ArgumentException($"W has {w.Length} entries but the gradient has {g.Length}.");
        StepCount++;
        Update(w, g, StepCount);
    }

    protected abstract void Update(double[] w, double[] g, int t);

    /// <summary>sign(x) with sign(0) = 0 (as torch.sign).</summary>
    protected static double Sign(double x) => x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;

    protected static double Norm(double[] g) { double s = 0; foreach (var v in g) s += v * v; return Math.Sqrt(s); }
}

/// <summary>
/// Momentum over a direction d_t (PyTorch SGD semantics, dampening 0): b_1 = d_1, b_t = μ b_{t−1} + d_t, W −= η b_t.
/// </summary>
public abstract class MomentumOptimizer : Optimizer
{
    private double[]? _buffer;

    protected MomentumOptimizer(double lr, double momentum) : base(lr)
    {
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentException($"momentum μ = {momentum} must be in [0, 1).", nameof(momentum));
        Momentum = momentum;
    }

    public double Momentum { get; }
    public ReadOnlySpan<double> Buffer => _buffer;

    /// <summary>Writes the direction d_t for gradient g into <paramref name="d"/>.</summary>
    protected abstract void Direction(double[] g, double[] d);

    private double[]? _d;

    protected override void Update(double[] w, double[] g, int t)
    {
        var d = _d ??= new double[g.Length];
        Direction(g, d);
        if (_buffer == null) _buffer = (double[])d.Clone();
        else for (int i = 0; i < d.Length; i++) _buffer[i] = Momentum * _buffer[i] + d[i];
        for (int i = 0; i < w.Length; i++) w[i] -= LearningRate * _buffer[i];
    }
}
