using HeavyTail.Tests.Shared;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Analytic.Tests;

public class GeneratorTests
{
    [Theory]
    [InlineData(2)] [InlineData(3)] [InlineData(7)]
    public void HtRandom_has_the_stated_sizes_and_counts(int m)
    {
        var p = Problems.HtRandom(m, seed: 3);
        Assert.Equal((1 << m) - 1, p.Data.C);
        Assert.Equal(m << m, p.Data.N);
        Assert.Equal((m + 1) << m, p.Data.D);
        Assert.Equal(m, p.Groups.K);
        for (int g = 0; g < m; g++)
        {
            var cls = p.Groups.ClassesIn(g);
            Assert.Equal(1 << g, cls.Length);
            Assert.All(cls, k => Assert.Equal(1 << (m - g), p.Data.ClassCounts[k]));
            Assert.Equal(1 << m, p.Groups.Mass[g] * p.Data.N, 9);
        }
        Assert.All(p.Data.X, x => Assert.InRange(x, 0.0, 1.0));
    }

    [Fact]
    public void HtRandom_is_deterministic_in_the_seed_and_gaussian_differs()
    {
        var a = Problems.HtRandom(4, seed: 5); var b = Problems.HtRandom(4, seed: 5); var c = Problems.HtRandom(4, seed: 6);
        Assert.Equal(a.Data.X, b.Data.X);
        Assert.NotEqual(a.Data.X, c.Data.X);
        var g = Problems.HtRandom(4, "gaussian", 5);
        Assert.Contains(g.Data.X, x => x < 0);
        Assert.Throws<ArgumentException>(() => Problems.HtRandom(4, "laplace", 5));
    }

    [Theory]
    [InlineData("uniform")]
    [InlineData("gaussian")]
    public void HtRandom_float32_inputs_are_the_float64_inputs_rounded(string inputs)
    {
        var p = Problems.HtRandom(5, inputs, 7);
        Assert.Equal(p.Data.X.Select(v => (float)v), Problems.HtRandomInputsSingle(5, inputs, 7));
        Assert.Equal(p.Data.Labels, Problems.HtRandomLabels(5));
    }

    [Fact]
    public void HtRandom_paper_size_m11_dimensions()
    {
        // Sizes only (the data at m = 11 is 4.4 GB): c = 2047, n = 22,528, d = 24,576.
        Assert.Equal((2047, 22528, 24576), ((1 << 11) - 1, 11 << 11, 12 << 11));
    }

    [Fact]
    public void HtIdentity_has_k_plus_one_groups_and_is_solved_by_the_identity()
    {
        var p = Problems.HtIdentity(2);
        Assert.Equal(111, p.Data.C); Assert.Equal(300, p.Data.N); Assert.Equal(111, p.Data.D);
        Assert.Equal(3, p.Groups.K);
        Assert.Equal(100, p.Data.ClassCounts[0]);
        Assert.Equal(10, p.Data.ClassCounts[1]);
        Assert.Equal(1, p.Data.ClassCounts[110]);
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var eye = new double[111 * 111];
        for (int i = 0; i < 111; i++) eye[i * 111 + i] = 1;
        Assert.Equal(0.0, model.Loss(eye));
    }

    [Fact]
    public void Zipf_and_cube_counts_sum_to_n_and_follow_the_distribution()
    {
        var z = Problems.Zipf(20, 1000, 8, 1.0, seed: 1);
        Assert.Equal(1000, z.Data.ClassCounts.Sum());
        Assert.Equal(8, z.Data.D);
        var p = Problems.ZipfProbabilities(20, 1.0);
        for (int k = 0; k < 20; k++) Assert.InRange(z.Data.ClassCounts[k], Math.Floor(1000 * p[k]), Math.Ceiling(1000 * p[k]));
        var cube = Problems.HtCube(3000, 30, seed: 2);
        Assert.Equal(3000, cube.Data.N); Assert.Equal(50, cube.Data.D); Assert.Equal(30, cube.Data.C);
        for (int k = 0; k < 29; k++) Assert.True(cube.Data.ClassCounts[k] >= cube.Data.ClassCounts[k + 1]);
    }

    [Fact]
    public void OneHot_is_the_population_model()
    {
        var p = Problems.OneHot(10, 1.0);
        Assert.Equal(10, p.Data.N);
        Assert.Equal(1.0, p.Data.Weights.Sum(), 14);
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        Assert.Equal(Math.Log(10), model.Loss(new double[100]), 14);
    }

    [Fact]
    public void Unknown_problem_names_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => Problems.Create(new ProblemOptions { Name = "mnist" }));
        Assert.Contains("ht-random", e.Message);
    }
}
