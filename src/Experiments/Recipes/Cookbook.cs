namespace HeavyTail.Experiments.Recipes;

/// <summary>Every recipe, in the order `reproduce` runs them.</summary>
public static class Cookbook
{
    public static readonly IReadOnlyList<IRecipe> All =
    [
        new ClassDistributionRecipe(),
        new HtRandomGdVsAdamRecipe(),
        new HtRandomOptimizersRecipe(),
        new HtCubeRecipe(),
        new HtIdentityRecipe(),
        new GradientHessianRecipe(),
        new FlowsRecipe(),
        new RatesRecipe(),
        new InputDistributionRecipe(),
        new HeterogeneityRecipe(),
    ];

    public static IRecipe Find(string name) => All.FirstOrDefault(r => r.Name == name)
        ?? throw new Cli.UserError($"unknown recipe '{name}'; `heavytail list` shows them: {string.Join(", ", All.Select(r => r.Name))}.");
}
