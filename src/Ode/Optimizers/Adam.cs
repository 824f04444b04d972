namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// adam (PyTorch torch.optim.Adam semantics, no weight decay, amsgrad off):
/// m_t = β1 m + (1 − β1) g, v_t = β2 v + (1 − β2) g², W −= (η/(1 − β1^t))·m_t / (√v_t/√(1 − β2^t) + ε).
/// adam-nm is the same with β1 = 0.
/// </summary>
public sealed class Adam : Optimizer
{
    private Array? _m, _v;

    /// <summary>Adam with learning rate η, β₁, β₂ and ε (PyTorch's defaults); <paramref name="name"/> is adam, or adam-nm for β₁ = 0.</summary>
    public Adam(double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, string name = "adam") : base(lr)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"beta1 = {beta1} must be in [0, 1).", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"beta2 = {beta2} must be in [0, 1).", nameof(beta2));
        if (!(eps >= 0)) throw new ArgumentException($"eps = {eps} must be ≥ 0.", nameof(eps));
        Beta1 = beta1; Beta2 = beta2; Eps = eps; Name = name;
    }

    /// <summary>β₁, the decay of the first moment m.</summary>
    public double Beta1 { get; }
    /// <summary>β₂, the decay of the second moment v.</summary>
    public double Beta2 { get; }
    /// <summary>ε, added to the bias-corrected √v in the denominator.</summary>
    public double Eps { get; }
    /// <inheritdoc/>
    public override string Name { get; }
    /// <summary>The first moment m_t (float64 runs; empty before the first step).</summary>
    public ReadOnlySpan<double> FirstMoment => AsDouble(_m);
    /// <summary>The second moment v_t (float64 runs; empty before the first step).</summary>
    public ReadOnlySpan<double> SecondMoment => AsDouble(_v);

    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        var m = State<T>(ref _m, g.Length); var v = State<T>(ref _v, g.Length);
        // torch: the bias corrections and the step size are Python floats (float64), used as scalars of the T kernels
        double bc1 = 1 - Math.Pow(Beta1, t), bc2 = 1 - Math.Pow(Beta2, t);
        T stepSize = Cast<T>(LearningRate / bc1), bc2Sqrt = Cast<T>(Math.Sqrt(bc2));
        T oneMinusBeta1 = Cast<T>(1 - Beta1), beta2 = Cast<T>(Beta2), oneMinusBeta2 = Cast<T>(1 - Beta2), eps = Cast<T>(Eps);
        for (int i = 0; i < w.Length; i++)
        {
            T gi = g[i];
            m[i] += (gi - m[i]) * oneMinusBeta1;          // torch: exp_avg.lerp_(grad, 1 − β1)
            v[i] = v[i] * beta2 + oneMinusBeta2 * gi * gi; // torch: exp_avg_sq.mul_(β2).addcmul_(grad, grad, 1 − β2)
            T denom = T.Sqrt(v[i]) / bc2Sqrt + eps;
            w[i] -= stepSize * (m[i] / denom);
        }
    }
}
