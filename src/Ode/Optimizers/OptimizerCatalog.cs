using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Flows;

namespace HeavyTail.Ode.Optimizers;

/// <summary>Every optimizer the toolkit has; <see cref="OptimizerCatalog"/> holds one <see cref="OptimizerDescriptor"/> per kind.</summary>
public enum OptimizerKind
{
    /// <summary>gd: gradient descent, W −= η g.</summary>
    Gd,
    /// <summary>gd-m: heavy ball, b_t = μ b_{t−1} + g_t, W −= η b_t.</summary>
    GdMomentum,
    /// <summary>adam: Adam with bias correction.</summary>
    Adam,
    /// <summary>adam-nm: Adam with β₁ = 0 (RMSProp with bias correction).</summary>
    AdamNoMomentum,
    /// <summary>sign: sign descent, W −= η sign(g).</summary>
    Sign,
    /// <summary>sign-m: heavy ball over sign(g).</summary>
    SignMomentum,
    /// <summary>normalized: normalized gradient descent, W −= η g/‖g‖.</summary>
    Normalized,
    /// <summary>normalized-m: heavy ball over g/‖g‖.</summary>
    NormalizedMomentum,
    /// <summary>adagrad: s += g², W −= η g/(√s + ε).</summary>
    Adagrad,
    /// <summary>pcngd: per-class normalized gradient descent.</summary>
    Pcngd,
    /// <summary>signum: W −= η sign(m), m an exponential average of g.</summary>
    Signum,
    /// <summary>scaled-sign: W −= η sign(g)·‖g‖₁.</summary>
    ScaledSign,
    /// <summary>scaled-sign-m: heavy ball over sign(g)·‖g‖₁.</summary>
    ScaledSignMomentum,
    /// <summary>lion: W −= η sign(β₁ m + (1 − β₁) g), with decoupled weight decay.</summary>
    Lion,
    /// <summary>muon: W −= η·s·NS₅(momentum), the Newton–Schulz polar factor.</summary>
    Muon,
    /// <summary>muon-exact: muon with the SVD polar factor U Vᵀ.</summary>
    MuonExact,
    /// <summary>adam-blocks: Adam with one second moment per class block.</summary>
    AdamBlocks,
}

/// <summary>
/// The element-wise update rule a device applies to a run's d × c block (src/Gpu's update kernel switches on this, and only
/// on this). Formulas as in src/Ode's optimizers; adam-nm is <see cref="Adam"/> with β₁ = 0.
/// </summary>
public enum DeviceUpdateRule
{
    /// <summary>W −= η g.</summary>
    Gd,
    /// <summary>b_t = μ b_{t−1} + g_t, W −= η b_t.</summary>
    HeavyBall,
    /// <summary>W −= η sign(g).</summary>
    Sign,
    /// <summary>b_t = μ b_{t−1} + sign(g_t), W −= η b_t.</summary>
    SignMomentum,
    /// <summary>Adam (adam-nm: β₁ = 0).</summary>
    Adam,
    /// <summary>s += g², W −= η g/(√s + ε).</summary>
    Adagrad,
    /// <summary>W −= η g/‖g‖ (the norm over the run's whole W).</summary>
    Normalized,
    /// <summary>b_t = μ b_{t−1} + g_t/‖g_t‖, W −= η b_t.</summary>
    NormalizedMomentum,
    /// <summary>m_t = β m_{t−1} + (1 − β) g_t, W −= η sign(m_t).</summary>
    Signum,
    /// <summary>u = sign(β₁ m + (1 − β₁) g), W ← W·(1 − ηλ) − η u, m ← β₂ m + (1 − β₂) g.</summary>
    Lion,
}

/// <summary>Which hyper-parameters an optimizer reads (the others are not recorded in run.json).</summary>
[Flags]
public enum HyperParameters
{
    /// <summary>Only the learning rate.</summary>
    None = 0,
    /// <summary>The momentum μ.</summary>
    Momentum = 1,
    /// <summary>β₁ and β₂.</summary>
    Betas = 2,
    /// <summary>ε.</summary>
    Eps = 4,
    /// <summary>The Nesterov switch (muon).</summary>
    Nesterov = 8,
    /// <summary>The decoupled weight decay λ (lion).</summary>
    WeightDecay = 16,
}

/// <summary>The continuous-time flow an optimizer is the limit of, and the time one step advances.</summary>
/// <param name="Flow">name of the flow (as `heavytail flow --flow`).</param>
/// <param name="Field">the flow on a model for the given settings.</param>
/// <param name="TimeIsSqrtLr">one step advances t by √η (heavy ball) instead of η.</param>
public sealed record FlowLimit(string Flow, Func<OptimizerSettings, LinearModel, ModelFlow> Field, bool TimeIsSqrtLr = false)
{
    /// <summary>The time one step advances: η, or √η for heavy ball.</summary>
    public double TimePerStep(OptimizerSettings s) => TimeIsSqrtLr ? Math.Sqrt(s.Lr) : s.Lr;

    /// <summary>How step and t relate, for run.json.</summary>
    public string TimeAxis => TimeIsSqrtLr ? "t = sqrt(lr)·step" : "t = lr·step";

    /// <summary>The flow on <paramref name="model"/> and the time one step advances, for the given settings.</summary>
    public (ModelFlow Flow, double TimePerStep) Make(OptimizerSettings s, LinearModel model) => (Field(s, model), TimePerStep(s));
}

/// <summary>
/// One optimizer, described once: name and description, which hyper-parameters it uses and their defaults, how to build
/// it, the flow it is the limit of, what the device update needs, and a plot colour.
/// </summary>
/// <param name="FixedBeta1">β₁ forced by the kind (adam-nm: 0), whatever the settings say.</param>
/// <param name="Device">the device update rule; null when the optimizer does not run on the device.</param>
/// <param name="NeedsGradientNorm">the update divides by the run's ‖g‖ (the device reduces it first).</param>
/// <param name="PerClassPasses">the direction needs per-class passes over the data (pcngd): trained alone, never batched.</param>
/// <param name="Color">plot colour, #RRGGBB.</param>
public sealed record OptimizerDescriptor(
    OptimizerKind Kind, string Name, string Description, HyperParameters Uses, double? DefaultEps, double? FixedBeta1,
    Func<OptimizerSettings, LinearModel?, Optimizer> Create, FlowLimit? Limit, DeviceUpdateRule? Device, bool NeedsGradientNorm,
    bool PerClassPasses, string Color)
{
    /// <summary>β₁ as the optimizer applies it.</summary>
    public double Beta1(OptimizerSettings s) => FixedBeta1 ?? s.Beta1;

    /// <summary>ε as the optimizer applies it (the settings' or the kind's default; 0 when it has none).</summary>
    public double Eps(OptimizerSettings s) => s.Eps ?? DefaultEps ?? 0.0;

    /// <summary>The kind's defaults of μ, β₁, β₂ (PyTorch's SGD/Adam values unless set).</summary>
    public HyperParameterDefaults Defaults { get; init; } = HyperParameterDefaults.Standard;

    /// <summary>The exact update in one line (the README's optimizer table and `heavytail list`).</summary>
    public string Update { get; init; } = Description;

    /// <summary>Runs on the CPU alone (a one-line refusal on a GPU backend says so).</summary>
    public bool CpuOnly { get; init; }
}

/// <summary>The optimizers, in the order the CLI lists them. Adding one: a descriptor here (and a rule in src/Gpu's update kernel if it runs on the device).</summary>
public static class OptimizerCatalog
{
    private const HyperParameters Moments = HyperParameters.Betas | HyperParameters.Eps;

    private static readonly FlowLimit Gradient = new("gradient", (s, m) => new GradientFlow(m));
    private static readonly FlowLimit SignLimit = new("sign", (s, m) => new SignFlow(m));

    /// <summary>Muon's flow: dW/dt = −s·polar(∇L), s = max(1, c/d)^½ (t = η·step).</summary>
    private static readonly FlowLimit PolarLimit = new("polar", (s, m) => new PolarFlow(m, Muon.ScaleFor(m.D, m.C)));

    /// <summary>Every optimizer, in the order the CLI lists them.</summary>
    public static readonly IReadOnlyList<OptimizerDescriptor> All =
    [
        new(OptimizerKind.Gd, "gd", "gradient descent: W −= η g", HyperParameters.None, null, null,
            (s, _) => new GradientDescent(s.Lr), Gradient, DeviceUpdateRule.Gd, false, false, "#000000"),
        new(OptimizerKind.GdMomentum, "gd-m", "heavy ball (PyTorch SGD): b_t = μ b_{t−1} + g_t, W −= η b_t", HyperParameters.Momentum, null, null,
            (s, _) => new GradientDescentMomentum(s.Lr, s.Momentum),
            new("heavy-ball", (s, m) => new HeavyBallFlow(m, HeavyBallFlow.FrictionFor(s.Lr, s.Momentum)), TimeIsSqrtLr: true),
            DeviceUpdateRule.HeavyBall, false, false, "#808080"),
        new(OptimizerKind.Adam, "adam", "Adam (PyTorch): bias-corrected first and second moments", Moments, 1e-8, null,
            (s, _) => new Adam(s.Lr, s.Beta1, s.Beta2, s.Descriptor.Eps(s)),
            new("adam", (s, m) => new AdamFlow(m, (1 - s.Beta1) / s.Lr, (1 - s.Beta2) / s.Lr, s.Descriptor.Eps(s))),
            DeviceUpdateRule.Adam, false, false, "#FF0000"),
        new(OptimizerKind.AdamNoMomentum, "adam-nm", "Adam without momentum (β₁ = 0)", Moments, 1e-8, 0.0,
            (s, _) => new Adam(s.Lr, s.Descriptor.Beta1(s), s.Beta2, s.Descriptor.Eps(s), "adam-nm"), null, DeviceUpdateRule.Adam, false, false, "#FFA500"),
        new(OptimizerKind.Sign, "sign", "sign descent: W −= η sign(g), sign(0) = 0", HyperParameters.None, null, null,
            (s, _) => new SignDescent(s.Lr), SignLimit, DeviceUpdateRule.Sign, false, false, "#0000FF"),
        new(OptimizerKind.SignMomentum, "sign-m", "momentum over sign(g)", HyperParameters.Momentum, null, null,
            (s, _) => new SignDescentMomentum(s.Lr, s.Momentum), null, DeviceUpdateRule.SignMomentum, false, false, "#87CEEB"),
        new(OptimizerKind.Normalized, "normalized", "normalized GD: W −= η g/‖g‖", HyperParameters.None, null, null,
            (s, _) => new NormalizedDescent(s.Lr), new("normalized", (s, m) => new NormalizedFlow(m)),
            DeviceUpdateRule.Normalized, true, false, "#008000"),
        new(OptimizerKind.NormalizedMomentum, "normalized-m", "momentum over g/‖g‖", HyperParameters.Momentum, null, null,
            (s, _) => new NormalizedDescentMomentum(s.Lr, s.Momentum), null, DeviceUpdateRule.NormalizedMomentum, true, false, "#90EE90"),
        new(OptimizerKind.Adagrad, "adagrad", "Adagrad (PyTorch): s += g², W −= η g/(√s + ε)", HyperParameters.Eps, 1e-10, null,
            (s, _) => new Adagrad(s.Lr, s.Descriptor.Eps(s)), null, DeviceUpdateRule.Adagrad, false, false, "#800080"),
        new(OptimizerKind.Pcngd, "pcngd", "per-class normalized GD (Francazi et al. 2023)", HyperParameters.None, null, null,
            (s, m) => new PerClassNormalizedGradientDescent(s.Lr, m ?? throw new ArgumentException("pcngd needs per-class gradients, which only the linear models provide; choose another optimizer.")),
            null, null, false, true, "#A52A2A"),
        new(OptimizerKind.Signum, "signum", "Signum (Bernstein et al. 2018; Tomihari & Sato's sign method with momentum)", HyperParameters.Momentum, null, null,
            (s, _) => new Signum(s.Lr, s.Momentum), SignLimit, DeviceUpdateRule.Signum, false, false, "#8B008B")
            { Update = "m ← β m + (1 − β) g (m₀ = 0, β = --momentum); W −= η sign(m)" },
        new(OptimizerKind.ScaledSign, "scaled-sign", "sign descent rescaled by ‖g‖₁ (Kunstner et al.'s RescaledSignDescent)", HyperParameters.None, null, null,
            (s, _) => new ScaledSignDescent(s.Lr), new("scaled-sign", (s, m) => new ScaledSignFlow(m)), null, false, false, "#00CED1")
            { Update = "W −= η sign(g)·‖g‖₁ (ℓ1 norm over all parameters)" },
        new(OptimizerKind.ScaledSignMomentum, "scaled-sign-m", "heavy ball over sign(g)·‖g‖₁", HyperParameters.Momentum, null, null,
            (s, _) => new ScaledSignDescentMomentum(s.Lr, s.Momentum), null, null, false, false, "#5F9EA0")
            { Update = "d = sign(g)·‖g‖₁; b₁ = d₁, b_t = μ b_{t−1} + d_t; W −= η b_t" },
        new(OptimizerKind.Lion, "lion", "Lion (Chen et al. 2023)", HyperParameters.Betas | HyperParameters.WeightDecay, null, null,
            (s, _) => new Lion(s.Lr, s.Beta1, s.Beta2, s.WeightDecay), SignLimit, DeviceUpdateRule.Lion, false, false, "#DAA520")
            { Defaults = new(Beta2: 0.99), Update = "u = sign(β₁ m + (1 − β₁) g); W −= η (u + λ W); m ← β₂ m + (1 − β₂) g (β₁ 0.9, β₂ 0.99, λ = --weight-decay 0)" },
        new(OptimizerKind.Muon, "muon", "Muon: momentum, then Newton–Schulz orthogonalisation (NS₅ in the run's precision; CPU only)",
            HyperParameters.Momentum | HyperParameters.Nesterov, null, null,
            (s, m) => MuonFor(s, m, exact: false), PolarLimit, null, false, false, "#556B2F")
            { Defaults = new(Momentum: 0.95), CpuOnly = true, Update = "b ← μ b + g; u = g + μ b (Nesterov) or b; W −= η·max(1, c/d)^½·NS₅(u) (μ 0.95)" },
        new(OptimizerKind.MuonExact, "muon-exact", "Muon with the exact polar factor U Vᵀ of u (float64 SVD; CPU only)",
            HyperParameters.Momentum | HyperParameters.Nesterov, null, null,
            (s, m) => MuonFor(s, m, exact: true), PolarLimit, null, false, false, "#9ACD32")
            { Defaults = new(Momentum: 0.95), CpuOnly = true, Update = "as muon with U Vᵀ (thin SVD of u) in place of NS₅(u)" },
        new(OptimizerKind.AdamBlocks, "adam-blocks", "Adam with one second moment per class column (Adam-mini's Hessian-block partition)", Moments, 1e-8, null,
            (s, m) => new AdamBlocks(s.Lr, Shape(s, m).D, Shape(s, m).C, s.Beta1, s.Beta2, s.Descriptor.Eps(s)),
            new("adam-blocks", (s, m) => new AdamFlow(m, (1 - s.Beta1) / s.Lr, (1 - s.Beta2) / s.Lr, s.Descriptor.Eps(s), blockwise: true)),
            null, false, false, "#FF69B4")
            { Update = "Adam with v_k ← β₂ v_k + (1 − β₂)·mean_j g_jk² shared by column W[:, k]" },
    ];


    private static LinearModel Shape(OptimizerSettings s, LinearModel? m) =>
        m ?? throw new ArgumentException($"{s.Name} needs the d × c shape of W, which only the linear models provide; choose another optimizer.");

    private static Muon MuonFor(OptimizerSettings s, LinearModel? m, bool exact)
    {
        var model = Shape(s, m);
        return new Muon(s.Lr, s.Momentum, s.Nesterov, model.D, model.C, model.LinearAlgebra, exact);
    }

    /// <summary>The optimizers' names, as <c>--optimizer</c> accepts them.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(d => d.Name).ToArray();

    /// <summary>The optimizer of that name, or null.</summary>
    public static OptimizerDescriptor? Find(string name) => All.FirstOrDefault(d => d.Name == name);

    /// <summary>The optimizer of that name; an unknown name is an <see cref="ArgumentException"/> with a did-you-mean and the list of names.</summary>
    public static OptimizerDescriptor Get(string name) =>
        Find(name) ?? throw new ArgumentException($"unknown optimizer '{name}'{Analytic.Spelling.DidYouMean(name, Names)}; choose one of: {string.Join(", ", Names)}.");

    /// <summary>The optimizer whose limit is the named flow (for colouring a flow like its optimizer).</summary>
    public static OptimizerDescriptor? ByFlow(string flow) => All.FirstOrDefault(d => d.Limit?.Flow == flow);
}
