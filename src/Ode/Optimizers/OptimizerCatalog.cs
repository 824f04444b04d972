using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Flows;

namespace HeavyTail.Ode.Optimizers;

/// <summary>Every optimizer the toolkit has; <see cref="OptimizerCatalog"/> holds one <see cref="OptimizerDescriptor"/> per kind.</summary>
public enum OptimizerKind { Gd, GdMomentum, Adam, AdamNoMomentum, Sign, SignMomentum, Normalized, NormalizedMomentum, Adagrad, Pcngd }

/// <summary>
/// The element-wise update rule a device applies to a run's d × c block (src/Gpu's update kernel switches on this, and only
/// on this). Formulas as in src/Ode's optimizers; adam-nm is <see cref="Adam"/> with β₁ = 0.
/// </summary>
public enum DeviceUpdateRule { Gd, HeavyBall, Sign, SignMomentum, Adam, Adagrad, Normalized, NormalizedMomentum }

/// <summary>Which hyper-parameters an optimizer reads (the others are not recorded in run.json).</summary>
[Flags]
public enum HyperParameters { None = 0, Momentum = 1, Betas = 2, Eps = 4 }

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
}

/// <summary>The optimizers, in the order the CLI lists them. Adding one: a descriptor here (and a rule in src/Gpu's update kernel if it runs on the device).</summary>
public static class OptimizerCatalog
{
    private const HyperParameters Moments = HyperParameters.Betas | HyperParameters.Eps;

    private static readonly FlowLimit Gradient = new("gradient", (s, m) => new GradientFlow(m));

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
            (s, _) => new SignDescent(s.Lr), new("sign", (s, m) => new SignFlow(m)), DeviceUpdateRule.Sign, false, false, "#0000FF"),
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
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(d => d.Name).ToArray();

    public static OptimizerDescriptor? Find(string name) => All.FirstOrDefault(d => d.Name == name);

    public static OptimizerDescriptor Get(string name) =>
        Find(name) ?? throw new ArgumentException($"unknown optimizer '{name}'{Analytic.Spelling.DidYouMean(name, Names)}; choose one of: {string.Join(", ", Names)}.");

    /// <summary>The optimizer whose limit is the named flow (for colouring a flow like its optimizer).</summary>
    public static OptimizerDescriptor? ByFlow(string flow) => All.FirstOrDefault(d => d.Limit?.Flow == flow);
}
