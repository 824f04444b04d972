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
    public readonly Option<double?> Momentum = new("--momentum") { Description = $"momentum μ (signum: β) for {Using(HyperParameters.Momentum)} (default {DefaultsText(d => d.Momentum)})" };
    public readonly Option<double?> Beta1 = new("--beta1") { Description = $"β1 of {Using(HyperParameters.Betas)} (default 0.9)" };
    public readonly Option<double?> Beta2 = new("--beta2") { Description = $"β2 of {Using(HyperParameters.Betas)} (default {DefaultsText(d => d.Beta2)})" };
    public readonly Option<double?> Eps = new("--eps") { Description = "ε (default: " + string.Join(", ", OptimizerCatalog.All.Where(o => o.DefaultEps != null).Select(o => $"{o.Name} {o.DefaultEps:G}")) + ")" };
    public readonly Option<bool?> Nesterov = new("--nesterov") { Description = $"Nesterov momentum for {Using(HyperParameters.Nesterov)} (default true)" };
    public readonly Option<double?> WeightDecay = new("--weight-decay") { Description = $"decoupled weight decay λ for {Using(HyperParameters.WeightDecay)} (default 0)" };

    /// <summary>"0.9 (muon 0.95)": the standard default and the kinds that differ.</summary>
    private static string DefaultsText(Func<HyperParameterDefaults, double> pick)
    {
        double standard = pick(HyperParameterDefaults.Standard);
        var other = OptimizerCatalog.All.Where(o => pick(o.Defaults) != standard).Select(o => $"{o.Name} {pick(o.Defaults):G}").ToList();
        return other.Count == 0 ? $"{standard:G}" : $"{standard:G}; {string.Join(", ", other)}";
    }

    private static string Using(HyperParameters h) => string.Join(", ", OptimizerCatalog.All.Where(o => o.Uses.HasFlag(h)).Select(o => o.Name));

    public void AddTo(Command cmd, bool withLr = true)
    {
        cmd.Options.Add(Optimizer);
        if (withLr) cmd.Options.Add(Lr);
        foreach (Option o in new Option[] { Steps, Momentum, Beta1, Beta2, Eps, Nesterov, WeightDecay }) cmd.Options.Add(o);
    }

    /// <summary>Refuses a hyper-parameter named on the command line that --optimizer does not read (before the command touches its folder).</summary>
    public void RefuseUnread(ParseResult r) =>
        ModeOptionUse.CheckOptimizer(r.GetValue(Optimizer)!, new Option[] { Momentum, Beta1, Beta2, Eps, Nesterov, WeightDecay }.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name));

    public OptimizerSettings Settings(ParseResult r, double? lr = null)
    {
        string name = r.GetValue(Optimizer)!;
        if (!OptimizerSettings.Names.Contains(name))
            throw new UserError($"unknown optimizer '{name}'{Analytic.Spelling.DidYouMean(name, OptimizerSettings.Names)}; choose one of: {string.Join(", ", OptimizerSettings.Names)}.");
        RefuseUnread(r);
        double eta = lr ?? r.GetValue(Lr);
        if (!double.IsFinite(eta) || eta < 0) throw new UserError($"--lr {eta} must be finite and ≥ 0.");
        int steps = r.GetValue(Steps);
        if (steps < 0) throw new UserError($"--steps {steps} must be ≥ 0.");
        var s = new OptimizerSettings(name, eta) { Eps = r.GetValue(Eps) };
        // a value not given keeps the kind's default (OptimizerDescriptor.Defaults)
        if (r.GetValue(Momentum) is double mu) s = s with { Momentum = mu };
        if (r.GetValue(Beta1) is double b1) s = s with { Beta1 = b1 };
        if (r.GetValue(Beta2) is double b2) s = s with { Beta2 = b2 };
        if (r.GetValue(Nesterov) is bool nesterov) s = s with { Nesterov = nesterov };
        if (r.GetValue(WeightDecay) is double wd) s = s with { WeightDecay = wd };
        return s;
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
