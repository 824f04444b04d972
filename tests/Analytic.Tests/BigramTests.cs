using HeavyTail.Tests.Shared;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Theory;

namespace HeavyTail.Analytic.Tests;

/// <summary>
/// The linear bigram model (Kunstner &amp; Bach 2025, arXiv 2505.19227) and its closed forms (<see cref="BigramTheory"/>)
/// against independent computations: the toolkit's squared-loss model stepped by hand (GD, sign descent), finite differences
/// of its gradient (the Hessian diagonal), and brute-force scans (iterations to ε).
/// </summary>
public class BigramTests
{
    private const string Seed = "(20250525,4099)";

    /// <summary>A random small case from a seed: d ∈ [2, 12], α ∈ [0, 2], a data seed.</summary>
    private static (int D, double A, long DataSeed, SeededRandom Rng) Case(long seed)
    {
        var rng = new SeededRandom(seed);
        return (2 + rng.NextInt(11), 2 * rng.NextDouble(), rng.NextInt(1000), rng);
    }

    private static LinearModel Model(int d, double a, long seed) => LinearModel.Create(LossKind.Squared, Problems.Bigram(d, a, seed).Data, Reference.Managed);

    [Fact]
    public void Bigram_rows_are_permuted_zipf_laws_with_zipf_marginals()
    {
        var p = Problems.Bigram(16, 1.0, seed: 3);
        var zipf = Problems.ZipfProbabilities(16, 1.0);
        Assert.Equal(zipf, p.Data.Weights);
        Assert.Equal(LossKind.Squared, p.Loss);
        Assert.True(p.Data.IdentityInputs);
        for (int i = 0; i < 16; i++)
        {
            var row = p.Data.Targets!.AsSpan(i * 16, 16).ToArray();
            Assert.Equal(zipf.OrderByDescending(x => x), row.OrderByDescending(x => x));
        }
        // the permutations differ between rows and are seeded
        Assert.NotEqual(p.Data.Targets!.AsSpan(0, 16).ToArray(), p.Data.Targets!.AsSpan(16, 16).ToArray());
        Assert.Equal(p.Data.Targets, Problems.Bigram(16, 1.0, seed: 3).Data.Targets);
        Assert.NotEqual(p.Data.Targets, Problems.Bigram(16, 1.0, seed: 4).Data.Targets);
    }

    /// <remarks>
    /// GD by hand on the toolkit's model (W −= η∇L) against L_t = ½ Σ_i π_i (1 − ηπ_i)^{2t} S. Both are sums of ≤ 144
    /// non-negative terms of size ≤ L_0, each a product of ≤ 2t roundings (the simulation) or a pow (the closed form):
    /// 1e-12·L_0 is far above that (≈ 100·t·u·L_0 ≤ 1e-12 for t ≤ 40).
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(MaxTest = 40, Pinned = Seed)]
    public bool Gd_closed_form_matches_simulated_gd(long seed)
    {
        var (d, a, dataSeed, rng) = Case(seed);
        var m = Model(d, a, dataSeed);
        var pi = Problems.ZipfProbabilities(d, a);
        double s = BigramTheory.SquaredMass(pi), eta = (0.05 + 0.949 * rng.NextDouble()) * 2 / pi.Max();
        var w = new double[m.ParameterCount]; var g = new double[w.Length];
        double l0 = 0.5 * s;
        for (int t = 0; t <= 40; t++)
        {
            double loss = m.LossAndGradient(w, g);
            if (Math.Abs(loss - BigramTheory.GdLoss(pi, s, eta, t)) > 1e-12 * l0) return false;
            for (int i = 0; i < w.Length; i++) w[i] -= eta * g[i];
        }
        return true;
    }

    /// <remarks>
    /// Sign descent by hand (W −= η sign(∇L), sign(0) = 0) against L_t = ½ Σ_k e(p_k, t)². η is drawn from a continuous
    /// range, so no coordinate lands on its target to rounding (where the two could differ by the sign of a 1e-17 residual).
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(MaxTest = 40, Pinned = Seed)]
    public bool Sign_descent_closed_form_matches_simulated_sign_descent(long seed)
    {
        var (d, a, dataSeed, rng) = Case(seed);
        var m = Model(d, a, dataSeed);
        var p = Problems.ZipfProbabilities(d, a);
        double eta = p.Max() * Math.Pow(10, -2 + 2 * rng.NextDouble());
        var w = new double[m.ParameterCount]; var g = new double[w.Length];
        double l0 = 0.5 * BigramTheory.SquaredMass(p);
        for (int t = 0; t <= 60; t++)
        {
            double loss = m.LossAndGradient(w, g);
            if (Math.Abs(loss - BigramTheory.SignLoss(p, eta, t)) > 1e-12 * l0) return false;
            for (int i = 0; i < w.Length; i++) w[i] -= eta * Math.Sign(g[i]);
        }
        return true;
    }

    /// <remarks>
    /// The Hessian of the bigram loss is diagonal with π_i on row i: central differences of the toolkit's gradient along every
    /// coordinate e_ij, at a random W, give column (ij) of H. The loss is quadratic, so the central difference is exact up to
    /// rounding of the gradients (≈ u·|g|/h with h = 1e-3): 1e-9 bounds it.
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(MaxTest = 30, Pinned = Seed)]
    public bool Hessian_is_diagonal_with_the_marginals_by_finite_differences(long seed)
    {
        var (d, a, dataSeed, rng) = Case(seed);
        var m = Model(d, a, dataSeed);
        var pi = Problems.ZipfProbabilities(d, a);
        var w = new double[m.ParameterCount];
        rng.FillGaussian(w);
        var gp = new double[w.Length]; var gm = new double[w.Length];
        const double h = 1e-3;
        for (int q = 0; q < w.Length; q++)
        {
            double keep = w[q];
            w[q] = keep + h; m.LossAndGradient(w, gp);
            w[q] = keep - h; m.LossAndGradient(w, gm);
            w[q] = keep;
            for (int r = 0; r < w.Length; r++)
            {
                double fd = (gp[r] - gm[r]) / (2 * h), expected = r == q ? pi[q / d] : 0;
                if (Math.Abs(fd - expected) > 1e-9) return false;
            }
        }
        var diag = new double[w.Length];
        m.Curvature(w, diag, null);
        return Enumerable.Range(0, w.Length).All(q => diag[q] == pi[q / d]);
    }

    /// <remarks>
    /// The iteration counts against brute force: GD's is the first t with relative error ≤ ε (checked at t and t − 1, the
    /// error being monotone); sign descent's first-hit and stays-below counts against a scan of the closed-form loss
    /// <see cref="BigramTheory.SignLoss"/> over t ≤ ⌊p_1/η⌋ + 4 (beyond which it has period 2).
    /// </remarks>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(MaxTest = 60, Pinned = Seed)]
    public bool Iteration_counts_match_brute_force(long seed)
    {
        var (d, a, _, rng) = Case(seed);
        d *= 8;
        var p = Problems.ZipfProbabilities(d, a);
        double eps = Math.Pow(10, -3 + 2.5 * rng.NextDouble());
        double etaGd = (0.05 + 0.949 * rng.NextDouble()) * 2 / p.Max();
        if (BigramTheory.GdIterations(p, etaGd, eps) is not int tg) return false;
        if (BigramTheory.GdRelativeError(p, etaGd, tg) > eps || (tg > 0 && BigramTheory.GdRelativeError(p, etaGd, tg - 1) <= eps)) return false;

        double eta = p.Max() * Math.Pow(10, -3 + 3 * rng.NextDouble());
        double l0 = BigramTheory.SignLoss(p, eta, 0);
        int horizon = (int)Math.Floor(p.Max() / eta) + 4;
        var rel = Enumerable.Range(0, horizon + 1).Select(t => BigramTheory.SignLoss(p, eta, t) / l0).ToArray();
        // the bucketed sums and the direct sum differ by rounding: skip cases with a step within 1e-9 of ε
        if (rel.Any(r => Math.Abs(r - eps) <= 1e-9 * Math.Max(eps, 1))) return true;
        int? first = Array.FindIndex(rel, r => r <= eps) is int f && f >= 0 ? f : null;
        int last = Array.FindLastIndex(rel, r => r > eps);
        int? stay = last >= horizon - 1 ? null : last + 1;
        return BigramTheory.SignIterations(p, eta, eps) == first && BigramTheory.SignIterations(p, eta, eps, stay: true) == stay;
    }
}
