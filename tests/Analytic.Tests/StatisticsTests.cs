using HeavyTail.Tests.Shared;
using FsCheck.Xunit;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Testing;
using HeavyTail.Analytic.Statistics;

namespace HeavyTail.Analytic.Tests;

public class StatisticsTests
{
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 40, Pinned = "(31,37)")]
    public bool Lanczos_top_eigenvalues_match_the_dense_spectrum(ProblemCase p)
    {
        var m = p.Model(); var w = p.Weights();
        var dense = HessianProperties.Eigenvalues(m.DenseHessian(w)).OrderByDescending(x => x).ToArray();
        int k = Math.Min(3, dense.Length);
        var top = Lanczos.TopEigenvalues((v, hv) => m.HessianVectorProduct(w, v, hv), m.ParameterCount, k, seed: 1, steps: m.ParameterCount);
        double scale = Math.Max(1e-12, dense[0]);
        for (int i = 0; i < top.Length; i++) if (Math.Abs(top[i] - dense[i]) > 1e-8 * scale) return false;
        return true;
    }

    [Fact]
    public void Hutchinson_estimate_is_within_four_standard_errors_of_the_exact_trace()
    {
        var p = Problems.Zipf(8, 200, 6, 1.0, seed: 4);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var w = new double[m.ParameterCount]; new SeededRandom(1).FillGaussian(w, 0.5);
        var traces = new double[m.C]; m.Curvature(w, null, traces);
        var (est, se) = Hutchinson.Trace((v, hv) => m.HessianVectorProduct(w, v, hv), m.ParameterCount, 400, seed: 2);
        Assert.True(Math.Abs(est - traces.Sum()) < 4 * se, $"{est} ± {se} vs {traces.Sum()}");
    }

    [Fact]
    public void Correlations_match_known_values()
    {
        Assert.Equal(1.0, Correlation.Pearson([1, 2, 3], [2, 4, 6]), 15);
        Assert.Equal(-1.0, Correlation.Pearson([1, 2, 3], [3, 2, 1]), 15);
        Assert.Equal(1.0, Correlation.Spearman([1, 2, 3, 4], [1, 8, 27, 1000]), 15);
        // scipy.stats.pearsonr([1,2,3,4,5],[2,1,4,3,5]) = 0.8; spearmanr with ties [1,2,2,3] vs [1,2,3,4] = 0.9486832980505138
        Assert.Equal(0.8, Correlation.Pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 14);
        Assert.Equal(0.9486832980505138, Correlation.Spearman([1, 2, 2, 3], [1, 2, 3, 4]), 14);
        Assert.True(double.IsNaN(Correlation.Pearson([1, 1, 1], [1, 2, 3])));
        Assert.Equal([1.0, 2.5, 2.5, 4.0], Correlation.Ranks([1, 5, 5, 9]));
    }

    [Fact]
    public void Heterogeneity_ratio_and_cv()
    {
        var h = GradientHeterogeneity.FromBlockNorms([1, 2, 3, 2]);
        Assert.Equal(3, h.MaxMinRatio);
        Assert.Equal(Math.Sqrt(0.5) / 2, h.CoefficientOfVariation, 15);
        Assert.Equal(double.PositiveInfinity, GradientHeterogeneity.FromBlockNorms([0, 1]).MaxMinRatio);
    }

    [Fact]
    public void At_zero_weights_on_ht_random_every_class_and_group_loss_is_log_c()
    {
        var p = Problems.HtRandom(5, seed: 1);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var w = new double[m.ParameterCount];
        var s = PerClassStatistics.Compute(m, w);
        Assert.Equal(Math.Log(31), s.Loss, 14);
        Assert.All(s.PerClassLoss, l => Assert.Equal(Math.Log(31), l, 14));
        Assert.All(m.PerGroupLoss(w, p.Groups), l => Assert.Equal(Math.Log(31), l, 14));
        // At W = 0, P = 1/c: block traces (1/n)Σ_i (1/c)(1 − 1/c)‖x_i‖² are equal across classes,
        // and G[:, k] = (1/n)(Σ_i x_i/c − Σ_{i: y_i = k} x_i).
        int n = p.Data.N, d = p.Data.D, c = p.Data.C;
        double traceExpected = Enumerable.Range(0, n).Sum(i => Enumerable.Range(0, d).Sum(j => p.Data.X[i * d + j] * p.Data.X[i * d + j])) / n / c * (1 - 1.0 / c);
        Assert.All(s.PerClassHessianTrace, t => Assert.Equal(traceExpected, t, 12));
        for (int k = 0; k < c; k += 7)
        {
            double norm2 = 0;
            for (int j = 0; j < d; j++)
            {
                double g = 0;
                for (int i = 0; i < n; i++) g += p.Data.X[i * d + j] * (1.0 / c - (p.Data.Labels[i] == k ? 1 : 0));
                norm2 += (g / n) * (g / n);
            }
            Assert.Equal(Math.Sqrt(norm2), s.PerClassGradNorm[k], 13);
        }
    }

    [Fact]
    public void Weighted_per_group_loss_reduces_to_the_group_mean()
    {
        var p = Problems.Zipf(6, 60, 3, 1.0, seed: 8);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var w = new double[m.ParameterCount]; new SeededRandom(3).FillGaussian(w);
        var losses = new double[m.N]; m.PerSampleLoss(w, losses);
        var groups = m.PerGroupLoss(w, p.Groups);
        for (int g = 0; g < p.Groups.K; g++)
        {
            var idx = Enumerable.Range(0, m.N).Where(i => p.Groups.GroupOf[p.Data.Labels[i]] == g).ToArray();
            Assert.Equal(idx.Average(i => losses[i]), groups[g], 13);
        }
    }

    [Fact]
    public void Validation_names_the_bad_argument()
    {
        var p = Problems.Zipf(3, 10, 2, 1.0);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var bad = new double[m.ParameterCount]; bad[1] = double.NaN;
        Assert.Contains("W[1] = NaN", Assert.Throws<ArgumentException>(() => m.Loss(bad)).Message);
        Assert.Contains("W has length 2", Assert.Throws<ArgumentException>(() => m.Loss(new double[2])).Message);
        Assert.Contains("y[0] = 5", Assert.Throws<ArgumentException>(() => new Dataset(new double[2], [5, 0], 2, 1, 3)).Message);
    }
}
