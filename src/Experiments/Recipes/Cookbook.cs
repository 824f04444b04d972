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

    /// <summary>The CNN and transformer recipes (TorchSharp, real data sets): `reproduce --with-torch` adds them.</summary>
    public static readonly IReadOnlyList<TorchRecipe> Torch =
    [
        new BarcodeCnnRecipe(),
        new BrownTransformerRecipe(),
        new LastLayerTransformerRecipe(),
    ];

    public static IEnumerable<IRecipe> Everything => All.Concat(Torch);

    public static IRecipe Find(string name) => Everything.FirstOrDefault(r => r.Name == name)
        ?? throw new Runs.UserError($"unknown recipe '{name}'; `heavytail list` shows them: {string.Join(", ", Everything.Select(r => r.Name))}.");
}
