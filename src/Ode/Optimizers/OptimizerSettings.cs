using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Optimizers;

/// <summary>Every optimizer setting, with the defaults of the CLI (PyTorch's where they exist); what each kind reads is in its <see cref="OptimizerDescriptor"/>.</summary>
public sealed record OptimizerSettings(string Name, double Lr)
{
    public double Momentum { get; init; } = 0.9;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double? Eps { get; init; }

    public static IReadOnlyList<string> Names => OptimizerCatalog.Names;

    /// <summary>The optimizer's description (an unknown name is an <see cref="ArgumentException"/> listing the known ones).</summary>
    public OptimizerDescriptor Descriptor => OptimizerCatalog.Get(Name);

    /// <param name="model">The linear model being trained; only pcngd needs it (per-class gradients), null elsewhere is fine.</param>
    public Optimizer Create(LinearModel? model) => Descriptor.Create(this, model);

    /// <summary>The settings as recorded in run.json (only those the optimizer uses).</summary>
    public Dictionary<string, object?> Describe()
    {
        var o = Descriptor;
        var d = new Dictionary<string, object?> { ["optimizer"] = Name, ["lr"] = Lr };
        if (o.Uses.HasFlag(HyperParameters.Momentum)) d["momentum"] = Momentum;
        if (o.Uses.HasFlag(HyperParameters.Betas)) { d["beta1"] = o.Beta1(this); d["beta2"] = Beta2; }
        if (o.Uses.HasFlag(HyperParameters.Eps)) d["eps"] = o.Eps(this);
        return d;
    }
}
