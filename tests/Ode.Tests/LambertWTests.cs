using HeavyTail.Tests.Shared;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HeavyTail.Analytic.Theory;

namespace HeavyTail.Ode.Tests;

public class LambertWTests
{
    public static class Args
    {
        public static Arbitrary<double> Doubles() => Arb.From(Gen.Choose(-7000, 70000).Select(i => i / 100.0));
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(Args)], MaxTest = 500, Pinned = "(3,5)")]
    public bool Wright_omega_solves_omega_plus_log_omega_equals_x(double x)
    {
        double w = LambertW.WrightOmega(x);
        // Residual relative to the magnitudes involved: |ω + log ω − x| ≤ 4ε·max(|x|, |ω|, 1) … and W₀(eˣ) = ω where eˣ is finite.
        return w > 0 && Math.Abs(w + Math.Log(w) - x) <= 4e-16 * Math.Max(1, Math.Max(Math.Abs(x), w));
    }

    [Fact]
    public void W0_known_values_and_identity()
    {
        Assert.Equal(0.5671432904097838, LambertW.W0(1), 15);     // the omega constant
        Assert.Equal(1.0, LambertW.W0(Math.E), 15);
        Assert.Equal(-1.0, LambertW.W0(-1 / Math.E), 7);          // branch point: √ sensitivity
        Assert.Equal(0.0, LambertW.W0(0));
        Assert.Equal(1e-300, LambertW.W0(1e-300));
        foreach (double y in new[] { -0.36, -0.2, -1e-10, 1e-10, 0.5, 2, 10, 1e5, 1e100, 1e300 })
        {
            double w = LambertW.W0(y);
            Assert.True(Math.Abs(w * Math.Exp(w) - y) <= 4e-16 * Math.Abs(y) * Math.Max(1, Math.Abs(w)), $"W0({y}) = {w}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => LambertW.W0(-0.5));
    }

    /// <summary>Fault class 6: ω and the one-hot gradient-flow loss stay finite and exact where ω(x) exceeds 1e154 (x beyond ~1e154).</summary>
    [Fact]
    public void Wright_omega_is_exact_to_x_of_1e307_and_its_asymptotic_form_joins_the_iteration()
    {
        for (double x = 10; x < 1e307; x *= 7.3)
        {
            double w = LambertW.WrightOmega(x);
            Assert.True(double.IsFinite(w) && Math.Abs(w + Math.Log(w) - x) <= 4e-16 * x, $"ω({x}) = {w}");
        }
        // around the switch at 1e15 the iteration and the series x − L + L/x + L(L − 2)/(2x²) agree to an ulp or two
        foreach (double x in new[] { 1e10, 1e12, 9.99e14, 1e15, 1.0001e15, 1e16 })
        {
            double l = Math.Log(x), series = x - l + l / x + l * (l - 2) / (2 * x * x);
            Assert.True(Math.Abs(LambertW.WrightOmega(x) - series) <= 4e-16 * series, $"x = {x}");
        }
    }

    [Theory]
    [InlineData(20, 0.3)] [InlineData(20, 0.001)] [InlineData(2, 0.5)] [InlineData(1000, 1e-6)] [InlineData(3, 0.99)]
    public void One_hot_gradient_flow_loss_is_finite_decreasing_and_1_over_a_t_out_to_t_of_1e308(int c, double pi)
    {
        // ℓ(t) = log1p(1/ω(x)), x = (1 + π c t)/(c − 1) − log(c − 1); for large t, ω = a t + O(log t) with a = πc/(c − 1),
        // so ℓ·a·t = 1 + O(log(a t)/(a t)).
        double a = pi * c / (c - 1), previous = double.PositiveInfinity;
        for (double t = 1; t <= 1e308; t *= 3.7)
        {
            double loss = OneHotTheory.GradientFlowLoss(t, pi, c);
            Assert.True(loss > 0 && double.IsFinite(loss) && loss <= previous, $"ℓ({t}) = {loss} after {previous}");
            previous = loss;
            double at = a * t;
            if (at > 1e6) Assert.True(Math.Abs(loss * at - 1) <= 2 * (Math.Log(at) + Math.Abs(Math.Log(c - 1)) + 1) / at + 1e-15, $"ℓ({t})·a·t = {loss * at}");
            double u = OneHotTheory.GradientFlowMargin(t, pi, c);
            Assert.True(double.IsFinite(u) && u > 0, $"u({t}) = {u}");
        }
        foreach (double t in new[] { 1e300, 1e308, double.MaxValue })
            Assert.True(OneHotTheory.GradientFlowLoss(t, pi, c) is > 0 and var v && double.IsFinite(v), $"t = {t}");
    }
}
