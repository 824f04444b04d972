using HeavyTail.Tests.Shared;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;

namespace HeavyTail.Analytic.Tests;

/// <summary>
/// The rotated HT-Random problem (Xie et al., arXiv 2410.08198) and the ℓ(1,1) norm of the Hessian at W = 0
/// (<see cref="HessianNorms"/>) against independent computations: QᵀQ = I entry by entry, the rotated inputs against X·Q
/// summed by hand, and the Kronecker closed form against the model's dense Hessian.
/// </summary>
public class RotationTests
{
    private const string Seed = "(24100819,7919)";

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(MaxTest = 30, Pinned = Seed)]
    public bool Random_orthogonal_is_orthogonal_and_seeded(long seed)
    {
        var rng = new SeededRandom(seed);
        int d = 1 + rng.NextInt(40);
        long s = rng.NextInt(1_000_000);
        var q = Problems.RandomOrthogonal(d, s);
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
            {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += q[i * d + a] * q[i * d + b];
                if (Math.Abs(dot - (a == b ? 1 : 0)) > 1e-12) return false;
            }
        return q.SequenceEqual(Problems.RandomOrthogonal(d, s)) && (d == 1 || !q.SequenceEqual(Problems.RandomOrthogonal(d, s + 1)));
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(MaxTest = 20, Pinned = Seed)]
    public bool Rotated_ht_random_inputs_are_x_times_q(long seed)
    {
        var rng = new SeededRandom(seed);
        int m = 2 + rng.NextInt(3);
        long dataSeed = rng.NextInt(1000), rot = rng.NextInt(1000);
        string inputs = rng.NextDouble() < 0.5 ? "uniform" : "gaussian";
        var plain = Problems.HtRandom(m, inputs, dataSeed);
        var rotated = Problems.Create(new ProblemOptions { Name = "ht-random", M = m, Inputs = inputs, Seed = dataSeed, RotateSeed = rot });
        int n = plain.Data.N, d = plain.Data.D;
        var q = Problems.RandomOrthogonal(d, rot);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double v = 0;
                for (int k = 0; k < d; k++) v += plain.Data.X[i * d + k] * q[k * d + j];
                if (Math.Abs(v - rotated.Data.X[i * d + j]) > 1e-12 * (1 + Math.Abs(v))) return false;
            }
        return plain.Data.Labels.SequenceEqual(rotated.Data.Labels);
    }

    /// <remarks>
    /// The dense Hessian sums |H_ij| over (dc)² entries formed sample by sample; the closed form multiplies two small sums.
    /// Both are sums of O((dc)²) roundings of terms of size ≤ ‖H‖: 1e-10 relative is far above that.
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(MaxTest = 30, Pinned = Seed)]
    public bool Hessian_one_one_norm_at_zero_is_the_kronecker_product_of_the_factors(long seed)
    {
        var rng = new SeededRandom(seed);
        int n = 1 + rng.NextInt(12), d = 1 + rng.NextInt(8), c = 2 + rng.NextInt(6);
        var x = new double[n * d];
        if (rng.NextDouble() < 0.5) rng.FillUniform(x); else rng.FillGaussian(x);
        var labels = Enumerable.Range(0, n).Select(_ => rng.NextInt(c)).ToArray();
        double[]? weights = null;
        if (rng.NextDouble() < 0.5)
        {
            weights = Enumerable.Range(0, n).Select(_ => 0.1 + rng.NextDouble()).ToArray();
            double total = weights.Sum();
            for (int i = 0; i < n; i++) weights[i] /= total;
        }
        var model = LinearModel.Create(LossKind.CrossEntropy, new Dataset(x, labels, n, d, c, weights: weights), Reference.Managed);
        double dense = HessianNorms.OneOne(model.DenseHessian(new double[model.ParameterCount]));
        double closed = HessianNorms.OneOneAtZero(model);
        return Math.Abs(dense - closed) <= 1e-10 * dense;
    }

    [Fact]
    public void Rotation_seed_changes_the_inputs_and_keeps_their_gram_matrix()
    {
        var plain = Problems.HtRandom(3, seed: 1);
        var rotated = Problems.HtRandom(3, seed: 1, rotateSeed: 5);
        Assert.NotEqual(plain.Data.X, rotated.Data.X);
        int n = plain.Data.N, d = plain.Data.D;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                double a = 0, b = 0;
                for (int j = 0; j < d; j++) { a += plain.Data.X[i * d + j] * plain.Data.X[k * d + j]; b += rotated.Data.X[i * d + j] * rotated.Data.X[k * d + j]; }
                Assert.Equal(a, b, 10);
            }
        Assert.Equal(5L, rotated.Info["rotate_seed"]);
    }
}
