using HeavyTail.Tests.Shared;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HeavyTail.Analytic.Theory;
using HeavyTail.Ode.Solvers;
using static HeavyTail.Ode.Tests.SolverOrderTests;

namespace HeavyTail.Ode.Tests;

/// <summary>Solution.Evaluate: the solver's interpolant kept per step (SaveAt { Dense = true }).</summary>
public class DenseOutputTests
{
    private static readonly double[] Thetas = [0.13, 0.37, 0.5, 0.71, 0.94];

    public static IEnumerable<object[]> Solvers() => Tableaus.All.Select(t => new object[] { t.Name });

    /// <remarks>
    /// One step of size h from the exact y(t0): the interpolant's local error is O(h^{p*+1}), p* = the dense order (4 for
    /// dopri5's data, min(3, p) for cubic Hermite). t0 = 0.3 avoids t = 0, where symmetries of the test solutions cancel terms.
    /// </remarks>
    [Theory]
    [MemberData(nameof(Solvers))]
    public void Evaluate_within_one_step_has_local_error_of_order_dense_order_plus_one(string name)
    {
        var solver = ExplicitRungeKutta.ByName(name);
        const double t0 = 0.3;
        var logH = new List<double>(); var logE = new List<double>();
        for (double h = 0.16; h > 0.004; h /= 2)
        {
            var sol = Integrator.Solve(Problem, solver, t0, t0 + h, Exact(t0), SaveAt.None with { Dense = true }, new ConstantStepSize(1));
            logH.Add(Math.Log(h));
            logE.Add(Math.Log(Thetas.Max(th => MaxError(sol.Evaluate(t0 + th * h), t0 + th * h))));
        }
        Assert.True(logH.Count >= 5);
        var (slope, _, _) = RateCheck.LinearFit(logH, logE);
        int expected = solver.Tableau.DenseOrder + 1;
        Assert.True(Math.Abs(slope - expected) <= 0.3, $"{name}: local interpolation error slope {slope:F3}, expected {expected}");
    }

    /// <remarks>
    /// Across [0, 1] the error at t is the global error at the step's start, O(h^p), plus the local one: O(h^{min(p, p*+1)}).
    /// (t1 = 1 keeps clear of tan's pole at π/2, which slows the approach to the asymptotic rate.)
    /// </remarks>
    [Theory]
    [MemberData(nameof(Solvers))]
    public void Evaluate_anywhere_converges_at_the_smaller_of_the_step_order_and_dense_order_plus_one(string name)
    {
        var solver = ExplicitRungeKutta.ByName(name);
        const double t1 = 1.0;
        int[] steps = solver.Order >= 4 ? [24, 32, 48, 64, 96, 128] : [20, 40, 80, 160, 320, 640];
        var logH = new List<double>(); var logE = new List<double>();
        foreach (int n in steps)
        {
            var sol = Integrator.Solve(Problem, solver, 0, t1, Exact(0), SaveAt.None with { Dense = true }, new ConstantStepSize(n));
            double h = t1 / n;
            double err = Enumerable.Range(0, n).SelectMany(i => Thetas.Select(th => (i + th) * h)).Max(t => MaxError(sol.Evaluate(t), t));
            logH.Add(Math.Log(h)); logE.Add(Math.Log(err));
        }
        var (slope, _, _) = RateCheck.LinearFit(logH, logE);
        int expected = Math.Min(solver.Order, solver.Tableau.DenseOrder + 1);
        Assert.True(Math.Abs(slope - expected) <= 0.3, $"{name}: dense error slope {slope:F3}, expected {expected}");
    }

    public static class Times
    {
        public static Arbitrary<double> InSolvedInterval() => Arb.From(Gen.Choose(0, 1_200_000).Select(i => i / 1e6));
    }

    private static readonly Solution AdaptiveDense =
        Integrator.Solve(Problem, ExplicitRungeKutta.DormandPrince54, 0, 1.2, Exact(0), SaveAt.None with { Dense = true }, new PIController(1e-10, 1e-12));

    /// <summary>Anywhere in [0, 1.2] an adaptive dopri5 solve evaluates to within the tolerance-proportional bound of the saves test.</summary>
    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(Times)], MaxTest = 300, Pinned = "(11,13)")]
    public bool Evaluate_at_any_t_in_range_matches_the_exact_solution(double t) =>
        AdaptiveDense.Evaluate(t).Zip(Exact(t), (y, e) => Math.Abs(y - e) <= 20 * (1e-12 + 1e-10 * Math.Abs(e))).All(ok => ok);

    [Theory]
    [InlineData("bosh3")]
    [InlineData("dopri5")]
    public void Evaluate_at_saved_times_returns_the_saved_values_exactly(string name)
    {
        var saves = new[] { 0.0, 0.011, 0.2, 0.35, 0.5, 0.777, 1.0, 1.2 };
        var sol = Integrator.Solve(Problem, ExplicitRungeKutta.ByName(name), 0, 1.2, Exact(0), new SaveAt(saves) { Dense = true }, new PIController(1e-7, 1e-9));
        Assert.Equal(SolveResult.Success, sol.Result);
        Assert.True(sol.IsDense);
        for (int i = 0; i < saves.Length; i++) Assert.Equal(sol.Values[i], sol.Evaluate(sol.Ts[i]));
        Assert.Equal(sol.YFinal, sol.Evaluate(1.2));
        Assert.Equal(Exact(0), sol.Evaluate(0));
    }

    [Fact]
    public void Dense_saving_changes_no_saved_value_or_statistic()
    {
        var saves = SaveAt.LogSpaced(0, 1.2, 40);
        var plain = Integrator.Solve(Problem, ExplicitRungeKutta.DormandPrince54, 0, 1.2, Exact(0), saves, new PIController(1e-9, 1e-11));
        var dense = Integrator.Solve(Problem, ExplicitRungeKutta.DormandPrince54, 0, 1.2, Exact(0), saves with { Dense = true }, new PIController(1e-9, 1e-11));
        Assert.Equal(plain.Values, dense.Values);
        Assert.Equal(plain.YFinal, dense.YFinal);
        Assert.Equal(plain.Stats, dense.Stats);
        Assert.False(plain.IsDense);
    }

    [Fact]
    public void Evaluate_outside_the_solved_interval_or_without_dense_saving_throws_ArgumentException()
    {
        var dense = Integrator.Solve(Problem, ExplicitRungeKutta.Rk4, 0, 1, Exact(0), SaveAt.None with { Dense = true }, new ConstantStepSize(10));
        Assert.Throws<ArgumentException>(() => dense.Evaluate(-1e-9));
        Assert.Throws<ArgumentException>(() => dense.Evaluate(1.0000001));
        Assert.Throws<ArgumentException>(() => dense.Evaluate(double.NaN));
        var plain = Integrator.Solve(Problem, ExplicitRungeKutta.Rk4, 0, 1, Exact(0), SaveAt.None, new ConstantStepSize(10));
        Assert.Contains("Dense", Assert.Throws<ArgumentException>(() => plain.Evaluate(0.5)).Message);
    }

    [Fact]
    public void A_solve_stopped_early_evaluates_only_up_to_its_last_accepted_step()
    {
        var sol = Integrator.Solve(Problem, ExplicitRungeKutta.DormandPrince54, 0, 1.2, Exact(0), SaveAt.None with { Dense = true }, new PIController(1e-12, 1e-14, MaxSteps: 5));
        Assert.Equal(SolveResult.MaxStepsReached, sol.Result);
        Assert.Equal(sol.YFinal, sol.Evaluate(sol.TFinal));
        Assert.Throws<ArgumentException>(() => sol.Evaluate((sol.TFinal + 1.2) / 2));
    }

    /// <summary>Dense output follows the tableau's data: a renamed copy interpolates identically, "dopri5" without the data is Hermite.</summary>
    [Fact]
    public void Interpolation_is_chosen_by_the_tableaus_data_not_its_name()
    {
        var dp = Tableaus.DormandPrince54;
        var renamed = new ExplicitRungeKutta(new ButcherTableau("my-dp", dp.Order, dp.C, dp.A, dp.B, dp.BEmbedded, dp.EmbeddedOrder, dp.DenseOutput));
        var withoutData = new ExplicitRungeKutta(new ButcherTableau("dopri5", dp.Order, dp.C, dp.A, dp.B, dp.BEmbedded, dp.EmbeddedOrder));
        var saves = new SaveAt([0.05, 0.31, 0.62, 0.93]);
        Solution Run(ExplicitRungeKutta s) => Integrator.Solve(Problem, s, 0, 1.2, Exact(0), saves, new ConstantStepSize(6));
        var reference = Run(ExplicitRungeKutta.DormandPrince54);
        Assert.Equal(reference.Values, Run(renamed).Values);
        Assert.NotEqual(reference.Values[1], Run(withoutData).Values[1]);
        Assert.Equal(ButcherTableau.HermiteOrder, withoutData.Tableau.DenseOrder);
        Assert.Equal(4, dp.DenseOrder);
    }

    [Fact]
    public void Dense_output_data_is_checked_against_the_continuous_order_conditions()
    {
        var dp = Tableaus.DormandPrince54;
        var d = (double[])dp.DenseOutput!.D.Clone();
        d[3] += 1e-6;
        var bad = new ButcherTableau("bad-dense", dp.Order, dp.C, dp.A, dp.B, dp.BEmbedded, dp.EmbeddedOrder, new DenseOutput(4, d));
        Assert.Contains("dense output", Assert.Throws<InvalidOperationException>(() => bad.Check()).Message);
        // The weights interpolate the step: b(0) = 0 and b(1) = b.
        Assert.All(dp.DenseWeights(0), w => Assert.Equal(0, w, 15));
        Assert.Equal(dp.B, dp.DenseWeights(1), (x, y) => Math.Abs(x - y) <= 1e-15);
        var rk4 = Tableaus.Rk4;
        Assert.Throws<ArgumentException>(() => new ButcherTableau("rk4-dense", 4, rk4.C, rk4.A, rk4.B, denseOutput: new DenseOutput(3, new double[4])));
    }
}
