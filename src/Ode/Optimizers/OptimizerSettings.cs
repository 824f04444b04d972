using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Optimizers;

/// <summary>Every optimizer setting, with the defaults of the CLI (PyTorch's where they exist).</summary>
public sealed record OptimizerSettings(string Name, double Lr)
{
    public double Momentum { get; init; } = 0.9;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double? Eps { get; init; }

    public static readonly string[] Names = ["gd", "gd-m", "adam", "adam-nm", "sign", "sign-m", "normalized", "normalized-m", "adagrad", "pcngd"];

    /// <param name="model">The linear model being trained; only pcngd needs it (per-class gradients), null elsewhere is fine.</param>
    public Optimizer Create(LinearModel? model) => Name switch
    {
        "gd" => new GradientDescent(Lr),
        "gd-m" => new GradientDescentMomentum(Lr, Momentum),
        "adam" => new Adam(Lr, Beta1, Beta2, Eps ?? 1e-8),
        "adam-nm" => new Adam(Lr, 0.0, Beta2, Eps ?? 1e-8, "adam-nm"),
        "sign" => new SignDescent(Lr),
        "sign-m" => new SignDescentMomentum(Lr, Momentum),
        "normalized" => new NormalizedDescent(Lr),
        "normalized-m" => new NormalizedDescentMomentum(Lr, Momentum),
        "adagrad" => new Adagrad(Lr, Eps ?? 1e-10),
        "pcngd" => new PerClassNormalizedGradientDescent(Lr, model ?? throw new ArgumentException("pcngd needs per-class gradients, which only the linear models provide; choose another optimizer.")),
        _ => throw new ArgumentException($"unknown optimizer '{Name}'; choose one of: {string.Join(", ", Names)}."),
    };

    /// <summary>The settings as recorded in run.json (only those the optimizer uses).</summary>
    public Dictionary<string, object?> Describe()
    {
        var d = new Dictionary<string, object?> { ["optimizer"] = Name, ["lr"] = Lr };
        if (Name is "gd-m" or "sign-m" or "normalized-m") d["momentum"] = Momentum;
        if (Name is "adam") { d["beta1"] = Beta1; d["beta2"] = Beta2; d["eps"] = Eps ?? 1e-8; }
        if (Name is "adam-nm") { d["beta1"] = 0.0; d["beta2"] = Beta2; d["eps"] = Eps ?? 1e-8; }
        if (Name is "adagrad") d["eps"] = Eps ?? 1e-10;
        return d;
    }
}
