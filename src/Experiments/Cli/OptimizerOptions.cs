using System.CommandLine;
using HeavyTail.Ode.Optimizers;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>--optimizer, --lr, --steps and the optimizer hyper-parameters, shared by train, compare and grid.</summary>
public sealed class OptimizerOptions
{
    public readonly Option<string> Optimizer = new("--optimizer") { Description = $"one of: {string.Join(", ", OptimizerSettings.Names)}", Required = true };
    public readonly Option<double> Lr = new("--lr") { Description = "step size η", Required = true };
    public readonly Option<int> Steps = new("--steps") { Description = "number of updates T", Required = true };
    public readonly Option<double> Momentum = new("--momentum") { Description = $"momentum μ ({Using(HyperParameters.Momentum)})", DefaultValueFactory = _ => 0.9 };
    public readonly Option<double> Beta1 = new("--beta1") { Description = "Adam β1", DefaultValueFactory = _ => 0.9 };
    public readonly Option<double> Beta2 = new("--beta2") { Description = "Adam β2", DefaultValueFactory = _ => 0.999 };
    public readonly Option<double?> Eps = new("--eps") { Description = "ε (default: " + string.Join(", ", OptimizerCatalog.All.Where(o => o.DefaultEps != null).Select(o => $"{o.Name} {o.DefaultEps:G}")) + ")" };

    private static string Using(HyperParameters h) => string.Join(", ", OptimizerCatalog.All.Where(o => o.Uses.HasFlag(h)).Select(o => o.Name));

    public void AddTo(Command cmd, bool withLr = true)
    {
        cmd.Options.Add(Optimizer);
        if (withLr) cmd.Options.Add(Lr);
        foreach (Option o in new Option[] { Steps, Momentum, Beta1, Beta2, Eps }) cmd.Options.Add(o);
    }

    public OptimizerSettings Settings(ParseResult r, double? lr = null)
    {
        string name = r.GetValue(Optimizer)!;
        if (!OptimizerSettings.Names.Contains(name))
            throw new UserError($"unknown optimizer '{name}'{Analytic.Spelling.DidYouMean(name, OptimizerSettings.Names)}; choose one of: {string.Join(", ", OptimizerSettings.Names)}.");
        double eta = lr ?? r.GetValue(Lr);
        if (!double.IsFinite(eta) || eta < 0) throw new UserError($"--lr {eta} must be finite and ≥ 0.");
        int steps = r.GetValue(Steps);
        if (steps < 0) throw new UserError($"--steps {steps} must be ≥ 0.");
        return new OptimizerSettings(name, eta) { Momentum = r.GetValue(Momentum), Beta1 = r.GetValue(Beta1), Beta2 = r.GetValue(Beta2), Eps = r.GetValue(Eps) };
    }
}

/// <summary>--path auto|primal|gram (train, grid): the primal path on X or the Gram-matrix path on K = XXᵀ (runs from W = 0).</summary>
public static class TrainingPathOption
{
    public static Option<string> Create() => new("--path")
    {
        Description = "primal (Z = XW, G = XᵀR: two n×d GEMMs per step), gram (K = XXᵀ once, one n×n GEMM per step; gd, gd-m, normalized, normalized-m, pcngd from W = 0), or auto (gram where it costs ≤ 0.8 of primal)",
        DefaultValueFactory = _ => "auto",
    };
}
