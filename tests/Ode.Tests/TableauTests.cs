using HeavyTail.Ode.Solvers;

namespace HeavyTail.Ode.Tests;

public class TableauTests
{
    [Fact]
    public void Every_shipped_tableau_passes_its_consistency_checks()
    {
        foreach (var t in Tableaus.All)
        {
            t.Check();
            Assert.True(t.MaxResidual() < 1e-14, t.Name);
        }
        Assert.True(Tableaus.DormandPrince54.IsFsal);
        Assert.True(Tableaus.BogackiShampine32.IsFsal);
        Assert.False(Tableaus.Rk4.IsFsal);
    }

    [Fact]
    public void A_perturbed_tableau_fails_the_order_conditions()
    {
        var rk4 = Tableaus.Rk4;
        var bad = new ButcherTableau("bad-rk4", 4, rk4.C, rk4.A, [1.0 / 6, 1.0 / 3 + 1e-6, 1.0 / 3 - 1e-6, 1.0 / 6]);
        Assert.Throws<InvalidOperationException>(() => bad.Check());
        var rows = new ButcherTableau("bad-rows", 2, [0.0, 0.9], [[0, 0], [1.0, 0]], [0.5, 0.5]);
        Assert.Contains("row sum", Assert.Throws<InvalidOperationException>(() => rows.Check()).Message);
        var under = new ButcherTableau("heun-as-1", 1, Tableaus.Heun.C, Tableaus.Heun.A, Tableaus.Heun.B);
        Assert.Contains("too low", Assert.Throws<InvalidOperationException>(() => under.Check()).Message);
        Assert.Throws<ArgumentException>(() => new ButcherTableau("implicit", 1, [0.0], [[1.0]], [1.0]));
    }
}
