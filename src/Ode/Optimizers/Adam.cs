namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// adam (PyTorch torch.optim.Adam semantics, no weight decay, amsgrad off):
/// m_t = β1 m + (1 − β1) g, v_t = β2 v + (1 − β2) g², W −= (η/(1 − β1^t))·m_t / (√v_t/√(1 − β2^t) + ε).
/// adam-nm is the same with β1 = 0.
/// </summary>
public sealed class Adam : Optimizer
{
    private double[]? _m, _v;

    public Adam(double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, string name = "adam") : base(lr)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"beta1 = {beta1} must be in [0, 1).", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"beta2 = {beta2} must be in [0, 1).", nameof(beta2));
        if (!(eps >= 0)) throw new ArgumentException($"eps = {eps} must be ≥ 0.", nameof(eps));
        Beta1 = beta1; Beta2 = beta2; Eps = eps; Name = name;
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public override string Name { get; }
    public ReadOnlySpan<double> FirstMoment => _m;
    public ReadOnlySpan<double> SecondMoment => _v;

    protected override void Update(double[] w, double[] g, int t)
    {
        _m ??= new double[g.Length]; _v ??= new double[g.Length];
        double bc1 = 1 - Math.Pow(Beta1, t), bc2 = 1 - Math.Pow(Beta2, t);
        double stepSize = LearningRate / bc1, bc2Sqrt = Math.Sqrt(bc2);
        for (int i = 0; i < w.Length; i++)
        {
            double gi = g[i];
            _m[i] += (gi - _m[i]) * (1 - Beta1);          // torch: exp_avg.lerp_(grad, 1 − β1)
            _v[i] = _v[i] * Beta2 + (1 - Beta2) * gi * gi; // torch: exp_avg_sq.mul_(β2).addcmul_(grad, grad, 1 − β2)
            double denom = Math.Sqrt(_v[i]) / bc2Sqrt + Eps;
            w[i] -= stepSize * (_m[i] / denom);
        }
    }
}
