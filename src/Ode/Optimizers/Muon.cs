using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// muon (Jordan et al. 2024; torch.optim.Muon) on the d × c weight matrix: b ← μ b + g (b_0 = 0); u = g + μ b (Nesterov) or b;
/// O = NS₅(u) (<see cref="PolarFactor.NewtonSchulz5{T}"/>, in the weights' precision); W −= η·s·O with s = max(1, c/d)^½.
/// muon-exact takes O = polar(u) = U Vᵀ from the SVD instead (<see cref="PolarFactor.Exact"/>, float64, rounded to T).
/// </summary>
/// <remarks>
/// The reference code keeps the momentum as an EMA, buf ← μ buf + (1 − μ) g and u = (1 − μ) g + μ buf (Nesterov) or buf; that
/// u is (1 − μ) times the u here, and NS₅ normalises u by ‖u‖_F + 1e-7 first, so the two agree up to that 1e-7. s is
/// torch.optim.Muon's "original" adjustment max(1, A/B)^½ for its A × B = c × d (out × in) layout.
/// </remarks>
public sealed class Muon : Optimizer
{
    private readonly ILinearAlgebraProvider _provider;
    private Array? _b, _u, _o;
    private object? _scratch;
    private double[]? _wide, _polar;

    /// <summary>Muon for a <paramref name="rows"/> × <paramref name="cols"/> W (d × c) whose polar factors use <paramref name="provider"/>'s GEMMs; <paramref name="exact"/> takes the SVD polar factor (muon-exact) instead of Newton–Schulz.</summary>
    public Muon(double lr, double momentum, bool nesterov, int rows, int cols, ILinearAlgebraProvider provider, bool exact = false) : base(lr)
    {
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentException($"momentum μ = {momentum} must be in [0, 1).", nameof(momentum));
        Analytic.Guard.Positive(rows, "rows"); Analytic.Guard.Positive(cols, "cols");
        _provider = provider ?? throw new ArgumentNullException(nameof(provider));
        Momentum = momentum; Nesterov = nesterov; Rows = rows; Cols = cols; Exact = exact;
    }

    /// <summary>μ, the momentum of the buffer b ← μ b + g.</summary>
    public double Momentum { get; }
    /// <summary>True: u = g + μ b (Nesterov); false: u = b.</summary>
    public bool Nesterov { get; }
    /// <summary>d (inputs) and c (classes): W is Rows × Cols, row-major.</summary>
    public int Rows { get; }
    /// <summary>c, the number of columns of W.</summary>
    public int Cols { get; }
    /// <summary>True for muon-exact (polar factor from the SVD), false for muon (five Newton–Schulz iterations).</summary>
    public bool Exact { get; }
    /// <inheritdoc/>
    public override string Name => Exact ? "muon-exact" : "muon";

    /// <summary>s = max(1, c/d)^½.</summary>
    public double Scale => ScaleFor(Rows, Cols);

    /// <summary>s = max(1, c/d)^½ for a d × c weight matrix (torch.optim.Muon's "original" adjustment).</summary>
    public static double ScaleFor(int d, int c) => Math.Sqrt(Math.Max(1.0, (double)c / d));

    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        if (w.Length != Rows * Cols) throw new ArgumentException($"{Name} was built for a {Rows} × {Cols} W, got {w.Length} entries.");
        var b = State<T>(ref _b, g.Length); var u = State<T>(ref _u, g.Length); var o = State<T>(ref _o, g.Length);
        T mu = Cast<T>(Momentum);
        for (int i = 0; i < g.Length; i++)
        {
            b[i] = mu * b[i] + g[i];
            u[i] = Nesterov ? g[i] + mu * b[i] : b[i];
        }
        if (Exact) PolarExact(u, o);
        else PolarFactor.NewtonSchulz5(_provider, u, Rows, Cols, o, (NewtonSchulzScratch<T>)(_scratch ??= new NewtonSchulzScratch<T>(Rows, Cols)));
        T step = Cast<T>(LearningRate * Scale);
        for (int i = 0; i < w.Length; i++) w[i] -= step * o[i];
    }

    private void PolarExact<T>(T[] u, T[] o) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var wide = _wide ??= new double[u.Length]; var polar = _polar ??= new double[u.Length];
        for (int i = 0; i < u.Length; i++) wide[i] = double.CreateTruncating(u[i]);
        PolarFactor.Exact(_provider is SinglePrecisionProvider single ? single.Inner : _provider, wide, Rows, Cols, polar);   // float64 GEMMs in a float32 run too
        for (int i = 0; i < o.Length; i++) o[i] = Cast<T>(polar[i]);
    }
}

/// <summary>
/// adam-blocks: Adam with one second moment per class block W[:, k] (Adam-mini's partition by Hessian block; for the linear
/// softmax model the diagonal blocks H_kk are the class columns): m as Adam per coordinate;
/// v_k ← β₂ v_k + (1 − β₂)·(1/d) Σ_j g_jk²; W_jk −= (η/(1 − β₁^t))·m_jk / (√v_k/√(1 − β₂^t) + ε).
/// </summary>
public sealed class AdamBlocks : Optimizer
{
    private Array? _m, _v;

    /// <summary>adam-blocks for a <paramref name="rows"/> × <paramref name="cols"/> W (d × c) with η, β₁, β₂ and ε as Adam's.</summary>
    public AdamBlocks(double lr, int rows, int cols, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8) : base(lr)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"beta1 = {beta1} must be in [0, 1).", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"beta2 = {beta2} must be in [0, 1).", nameof(beta2));
        if (!(eps >= 0)) throw new ArgumentException($"eps = {eps} must be ≥ 0.", nameof(eps));
        Analytic.Guard.Positive(rows, "rows"); Analytic.Guard.Positive(cols, "cols");
        Beta1 = beta1; Beta2 = beta2; Eps = eps; Rows = rows; Cols = cols;
    }

    /// <summary>β₁, the decay of the per-coordinate first moment.</summary>
    public double Beta1 { get; }
    /// <summary>β₂, the decay of the per-block second moment v_k.</summary>
    public double Beta2 { get; }
    /// <summary>ε, added to the bias-corrected √v_k in the denominator.</summary>
    public double Eps { get; }
    /// <summary>d, the number of rows of W (the length of each class block).</summary>
    public int Rows { get; }
    /// <summary>c, the number of columns of W (the number of blocks).</summary>
    public int Cols { get; }
    /// <inheritdoc/>
    public override string Name => "adam-blocks";
    /// <summary>The c block second moments v_k (float64 runs).</summary>
    public ReadOnlySpan<double> BlockSecondMoment => AsDouble(_v);

    /// <inheritdoc/>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        if (w.Length != Rows * Cols) throw new ArgumentException($"adam-blocks was built for a {Rows} × {Cols} W, got {w.Length} entries.");
        var m = State<T>(ref _m, g.Length); var v = State<T>(ref _v, Cols);
        double bc1 = 1 - Math.Pow(Beta1, t), bc2 = 1 - Math.Pow(Beta2, t);
        T stepSize = Cast<T>(LearningRate / bc1), bc2Sqrt = Cast<T>(Math.Sqrt(bc2));
        T oneMinusBeta1 = Cast<T>(1 - Beta1), beta2 = Cast<T>(Beta2), oneMinusBeta2 = Cast<T>(1 - Beta2), eps = Cast<T>(Eps);
        T invRows = Cast<T>(1.0 / Rows);
        Span<T> meanSq = Cols <= 4096 ? stackalloc T[Cols] : new T[Cols];
        meanSq.Clear();
        for (int j = 0; j < Rows; j++)
            for (int k = 0; k < Cols; k++) { T gi = g[j * Cols + k]; meanSq[k] += gi * gi; }
        for (int k = 0; k < Cols; k++) v[k] = v[k] * beta2 + oneMinusBeta2 * (meanSq[k] * invRows);
        for (int j = 0; j < Rows; j++)
            for (int k = 0; k < Cols; k++)
            {
                int i = j * Cols + k;
                m[i] += (g[i] - m[i]) * oneMinusBeta1;
                w[i] -= stepSize * (m[i] / (T.Sqrt(v[k]) / bc2Sqrt + eps));
            }
    }
}
