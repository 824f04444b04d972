using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// Every optimizer setting, with the defaults of the CLI (PyTorch's where they exist; the kind's own where it differs, as
/// muon's μ = 0.95 and lion's β₂ = 0.99, from <see cref="OptimizerDescriptor.Defaults"/>); what each kind reads is in its
/// <see cref="OptimizerDescriptor"/>.
/// </summary>
public sealed record OptimizerSettings(string Name, double Lr)
{
    /// <summary>Momentum μ (heavy ball, sign-m, normalized-m, scaled-sign-m, signum's β, muon); default 0.9, muon 0.95.</summary>
    public double Momentum { get; init; } = DefaultsOf(Name).Momentum;
    /// <summary>β₁ (adam, adam-blocks, lion); default 0.9 (adam-nm uses 0).</summary>
    public double Beta1 { get; init; } = DefaultsOf(Name).Beta1;
    /// <summary>β₂ (adam, adam-nm, adam-blocks, lion); default 0.999, lion 0.99.</summary>
    public double Beta2 { get; init; } = DefaultsOf(Name).Beta2;
    /// <summary>ε (adam, adagrad); null: the optimizer's own default (<see cref="OptimizerDescriptor.DefaultEps"/>).</summary>
    public double? Eps { get; init; }
    /// <summary>Nesterov momentum (muon).</summary>
    public bool Nesterov { get; init; } = true;
    /// <summary>Decoupled weight decay λ (lion).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Every optimizer name (<see cref="OptimizerCatalog.Names"/>).</summary>
    public static IReadOnlyList<string> Names => OptimizerCatalog.Names;

    private static HyperParameterDefaults DefaultsOf(string name) => OptimizerCatalog.Find(name)?.Defaults ?? HyperParameterDefaults.Standard;

    /// <summary>The optimizer's description (an unknown name is an <see cref="ArgumentException"/> listing the known ones).</summary>
    public OptimizerDescriptor Descriptor => OptimizerCatalog.Get(Name);

    /// <param name="model">The linear model being trained: pcngd needs its per-class gradients, muon and adam-blocks the
    /// shape d × c of W (and muon its GEMM provider); null is fine for the others.</param>
    public Optimizer Create(LinearModel? model) => Descriptor.Create(this, model);

    /// <summary>The settings as recorded in run.json (only those the optimizer uses).</summary>
    public Dictionary<string, object?> Describe()
    {
        var o = Descriptor;
        var d = new Dictionary<string, object?> { ["optimizer"] = Name, ["lr"] = Lr };
        if (o.Uses.HasFlag(HyperParameters.Momentum)) d["momentum"] = Momentum;
        if (o.Uses.HasFlag(HyperParameters.Betas)) { d["beta1"] = o.Beta1(this); d["beta2"] = Beta2; }
        if (o.Uses.HasFlag(HyperParameters.Eps)) d["eps"] = o.Eps(this);
        if (o.Uses.HasFlag(HyperParameters.Nesterov)) d["nesterov"] = Nesterov;
        if (o.Uses.HasFlag(HyperParameters.WeightDecay)) d["weight_decay"] = WeightDecay;
        if (o.Kind == OptimizerKind.Muon) d["orthogonalization"] = "Newton-Schulz NS5 in the run's dtype (float32 GEMMs in a float32 run)";
        if (o.Kind == OptimizerKind.MuonExact) d["orthogonalization"] = "exact polar factor, float64 eigendecomposition of the short-side Gram matrix";
        return d;
    }
}

/// <summary>The defaults of μ, β₁, β₂ for one kind (PyTorch's SGD/Adam values unless the kind's paper says otherwise).</summary>
public sealed record HyperParameterDefaults(double Momentum = 0.9, double Beta1 = 0.9, double Beta2 = 0.999)
{
    /// <summary>μ = 0.9, β₁ = 0.9, β₂ = 0.999 (PyTorch's SGD and Adam defaults).</summary>
    public static readonly HyperParameterDefaults Standard = new();
}
