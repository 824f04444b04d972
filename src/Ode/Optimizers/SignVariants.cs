namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// signum (Bernstein et al. 2018; the optimizer of Tomihari &amp; Sato, arXiv 2502.00213, repository tom4649/gradient-heterogeneity,
/// optimizer/signum.py, weight decay 0): m_t = β m_{t−1} + (1 − β) g_t with m_0 = 0, W −= η sign(m_t), sign(0) = 0.
/// </summary>
/// <remarks>Every coordinate with m ≠ 0 moves by exactly η per step, with or without momentum (unlike sign-m, heavy ball over
/// sign(g), whose steps grow to η/(1 − μ)); momentum only chooses the direction.</remarks>
public sealed class Signum : Optimizer
{
    private Array? _m;

    /// <summary>Signum with learning rate η and momentum β ∈ [0, 1).</summary>
    public Signum(double lr, double beta) : base(lr)
    {
        if (!(beta >= 0 && beta < 1)) throw new ArgumentException($"momentum β = {beta} must be in [0, 1).", nameof(beta));
        Beta = beta;
    }

    /// <summary>β, the decay of the momentum m_t = β m_{t−1} + (1 − β) g_t.</summary>
    public double Beta { get; }
    /// <inheritdoc/>
    public override string Name => "signum";
    /// <summary>The momentum m_t (float64 runs; empty before the first step).</summary>
    public ReadOnlySpan<double> Momentum => AsDouble(_m);

    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        var m = State<T>(ref _m, g.Length);
        T beta = Cast<T>(Beta), oneMinusBeta = Cast<T>(1 - Beta), lr = Cast<T>(LearningRate);
        for (int i = 0; i < w.Length; i++)
        {
            m[i] = m[i] * beta + oneMinusBeta * g[i];   // torch: buf.mul_(β).add_(grad, alpha = 1 − β)
            w[i] -= lr * Sign(m[i]);
        }
    }
}

/// <summary>
/// lion (Chen et al. 2023, arXiv 2302.06675): u = sign(β₁ m + (1 − β₁) g); W ← W·(1 − ηλ) − η u; m ← β₂ m + (1 − β₂) g
/// (m_0 = 0, sign(0) = 0). The decoupled decay is applied as in the reference PyTorch code, W·(1 − ηλ) then −η u, which is
/// W − η(u + λW) up to rounding and exactly W − η u when λ = 0.
/// </summary>
public sealed class Lion : Optimizer
{
    private Array? _m;

    /// <summary>Lion with learning rate η, β₁ (the interpolation of the update), β₂ (the momentum's decay) and decoupled weight decay λ.</summary>
    public Lion(double lr, double beta1 = 0.9, double beta2 = 0.99, double weightDecay = 0) : base(lr)
    {
        if (!(beta1 >= 0 && beta1 <= 1)) throw new ArgumentException($"beta1 = {beta1} must be in [0, 1].", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"beta2 = {beta2} must be in [0, 1).", nameof(beta2));
        if (!(weightDecay >= 0) || !double.IsFinite(weightDecay)) throw new ArgumentException($"weight decay λ = {weightDecay} must be finite and ≥ 0.", nameof(weightDecay));
        Beta1 = beta1; Beta2 = beta2; WeightDecay = weightDecay;
    }

    /// <summary>β₁: u = sign(β₁ m + (1 − β₁) g).</summary>
    public double Beta1 { get; }
    /// <summary>β₂: m ← β₂ m + (1 − β₂) g.</summary>
    public double Beta2 { get; }
    /// <summary>λ, the decoupled weight decay: W ← W·(1 − ηλ) before the signed step.</summary>
    public double WeightDecay { get; }
    /// <inheritdoc/>
    public override string Name => "lion";

    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        var m = State<T>(ref _m, g.Length);
        T lr = Cast<T>(LearningRate), decay = Cast<T>(1 - LearningRate * WeightDecay);
        T b1 = Cast<T>(Beta1), omb1 = Cast<T>(1 - Beta1), b2 = Cast<T>(Beta2), omb2 = Cast<T>(1 - Beta2);
        bool decays = WeightDecay != 0;
        for (int i = 0; i < w.Length; i++)
        {
            T u = Sign(m[i] * b1 + g[i] * omb1);
            if (decays) w[i] *= decay;
            w[i] -= lr * u;
            m[i] = m[i] * b2 + g[i] * omb2;
        }
    }
}

/// <summary>
/// scaled-sign (Kunstner et al. 2024's RescaledSignDescent, arXiv 2402.19449): d = sign(g)·‖g‖₁ (ℓ1 norm over all parameters,
/// summed in float64), W −= η d.
/// </summary>
public sealed class ScaledSignDescent(double lr) : Optimizer(lr)
{
    /// <inheritdoc/>
    public override string Name => "scaled-sign";

    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        T step = Cast<T>(LearningRate * L1Norm(g));
        for (int i = 0; i < w.Length; i++) w[i] -= step * Sign(g[i]);
    }

    /// <summary>‖g‖₁, |g_i| summed in float64 in index order.</summary>
    public static double L1Norm<T>(T[] g) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double s = 0;
        foreach (var v in g) s += Math.Abs(double.CreateTruncating(v));
        return s;
    }
}

/// <summary>scaled-sign-m: heavy ball over d_t = sign(g_t)·‖g_t‖₁: b_1 = d_1, b_t = μ b_{t−1} + d_t, W −= η b_t.</summary>
public sealed class ScaledSignDescentMomentum(double lr, double momentum) : MomentumOptimizer(lr, momentum)
{
    /// <inheritdoc/>
    public override string Name => "scaled-sign-m";

    /// <summary>d_t = sign(g_t)·‖g_t‖₁.</summary>
    protected override void Direction<T>(T[] g, T[] d)
    {
        T norm = Cast<T>(ScaledSignDescent.L1Norm(g));
        for (int i = 0; i < g.Length; i++) d[i] = Sign(g[i]) * norm;
    }
}
