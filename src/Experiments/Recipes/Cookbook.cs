namespace HeavyTail.Experiments.Recipes;

/// <summary>Every recipe of the linear and theory models, in the order `reproduce` runs them (the TorchSharp ones: <c>TorchCookbook</c>).</summary>
public static class Cookbook
{
    /// <summary>Every linear-model and theory recipe, in run order.</summary>
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
        new HessianSpectrumRecipe(),
        new ScalingLawsRecipe(),
        new BlockHeterogeneityRecipe(),
        new MuonTailRecipe(),
        new RotationRecipe(),
    ];
}
