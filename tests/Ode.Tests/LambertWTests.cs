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
}
