using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Runs;

/// <summary>
/// Which options each mode of a command reads (issue 25 D, beyond the data options of <see cref="ProblemOptionUse"/>):
/// an optimizer hyper-parameter the chosen optimizer does not use (<see cref="OptimizerDescriptor.Uses"/>), a flow
/// parameter of another flow, a tolerance of the adaptive step-size control with --fixed-steps. Named on the command
/// line, such an option is refused in one line that says what reads it, instead of being accepted and ignored.
/// </summary>
public static class ModeOptionUse
{
    /// <summary>The optimizer hyper-parameter options (train, compare, grid) and the hyper-parameter each sets.</summary>
    public static readonly IReadOnlyDictionary<string, HyperParameters> OptimizerOptions = new Dictionary<string, HyperParameters>
    {
        ["--momentum"] = HyperParameters.Momentum, ["--beta1"] = HyperParameters.Betas, ["--beta2"] = HyperParameters.Betas,
        ["--eps"] = HyperParameters.Eps, ["--nesterov"] = HyperParameters.Nesterov, ["--weight-decay"] = HyperParameters.WeightDecay,
    };

    /// <summary>The optimizers that read <paramref name="option"/> (adam-nm fixes β1 = 0: it does not read --beta1).</summary>
    public static string[] OptimizersReading(string option) => OptimizerCatalog.All
        .Where(o => o.Uses.HasFlag(OptimizerOptions[option]) && !(option == "--beta1" && o.FixedBeta1 != null)).Select(o => o.Name).ToArray();

    /// <summary>Refuses the first of <paramref name="given"/> (options named on the command line) that <paramref name="optimizer"/> does not read.</summary>
    public static void CheckOptimizer(string optimizer, IEnumerable<string> given)
    {
        if (OptimizerCatalog.Find(optimizer) == null) return; // an unknown name is refused by its own line
        foreach (var option in given.Where(OptimizerOptions.ContainsKey))
        {
            var readers = OptimizersReading(option);
            if (!readers.Contains(optimizer))
                throw new UserError($"{option} does nothing for --optimizer {optimizer} (it is read by {string.Join(", ", readers)}); leave it out.");
        }
    }

    /// <summary>The parameters of `flow` and the flows that read them.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> FlowOptions = new Dictionary<string, string[]>
    {
        ["--delta"] = ["sign"], ["--friction"] = ["heavy-ball"],
        ["--adam-a"] = ["adam", "adam-blocks"], ["--adam-b"] = ["adam", "adam-blocks"], ["--eps"] = ["adam", "adam-blocks"],
    };

    /// <summary>The options of the adaptive step-size control, which --fixed-steps replaces.</summary>
    public static readonly string[] AdaptiveOptions = ["--rtol", "--atol", "--pi-beta", "--max-steps"];

    /// <summary>Refuses the first of <paramref name="given"/> that the flow <paramref name="flow"/> (a known name) or the step-size mode does not read.</summary>
    public static void CheckFlow(string flow, bool fixedSteps, IEnumerable<string> given)
    {
        foreach (var option in given)
        {
            if (FlowOptions.TryGetValue(option, out var readers) && !readers.Contains(flow) && FlowTables.FlowNames.Contains(flow))
                throw new UserError($"{option} does nothing for --flow {flow} (it is read by {string.Join(", ", readers)}); leave it out.");
            if (fixedSteps && AdaptiveOptions.Contains(option))
                throw new UserError($"{option} does nothing with --fixed-steps (it is read by the adaptive step-size control, used without --fixed-steps); leave it out.");
        }
    }
}
