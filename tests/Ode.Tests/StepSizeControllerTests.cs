using HeavyTail.Ode.Solvers;
using static HeavyTail.Ode.Tests.SolverOrderTests;

namespace HeavyTail.Ode.Tests;

/// <summary>Controllers are strategies behind IStepSizeController: ones defined here run through Integrator.Solve unchanged.</summary>
public class StepSizeControllerTests
{
    /// <summary>Pure integral control: h_new = h·clamp(Safety·err^(−1/k), MinShrink, MaxGrowth), k = embedded order + 1.</summary>
    private sealed record IntegralController(double Rtol, double Atol, int MaxSteps = 100_000, double FirstStep = 1e-3) : IStepSizeController
    {
        private const double Safety = 0.9, MinShrink = 0.2, MaxGrowth = 5;

        public ErrorTolerance? Tolerance => new ErrorTolerance(Rtol, Atol);

        public void Validate(ExplicitRungeKutta solver)
        {
            if (!solver.Tableau.HasErrorEstimate) throw new ArgumentException($"{solver.Name} has no error estimate.");
        }

        public IStepSizeState Start(StepSizeStart start, ref int functionEvaluations) =>
            new State(FirstStep, 1.0 / (start.Solver.Tableau.EmbeddedOrder + 1));

        private sealed class State(double h, double exponent) : IStepSizeState
        {
            private double _h = h;

            public ProposedStep Propose(double t, double t1) => ProposedStep.Toward(t, _h, t1);

            public StepVerdict Adapt(double h, double errorNorm)
            {
                double factor = double.IsFinite(errorNorm) ? Safety * Math.Pow(Math.Max(errorNorm, 1e-300), -exponent) : MinShrink;
                _h = h * Math.Clamp(factor, MinShrink, MaxGrowth);
                return errorNorm <= 1 ? StepVerdict.Accept : StepVerdict.Reject;
            }
        }
    }

    /// <summary>Steps of the given sizes in turn, the last one cut to end at t1; no error estimate read.</summary>
    private sealed record StepListController(double[] Sizes) : IStepSizeController
    {
        public int MaxSteps => Sizes.Length;
        public ErrorTolerance? Tolerance => null;

        public void Validate(ExplicitRungeKutta solver)
        {
            if (Sizes.Length == 0 || Sizes.Any(h => !(h > 0))) throw new ArgumentException("step sizes must be positive.");
        }

        public IStepSizeState Start(StepSizeStart start, ref int functionEvaluations) => new State(Sizes);

        private sealed class State(double[] sizes) : IStepSizeState
        {
            private int _taken;

            public ProposedStep Propose(double t, double t1) => _taken == sizes.Length - 1 ? new(t1 - t, true) : new(sizes[_taken], false);

            public StepVerdict Adapt(double h, double errorNorm)
            {
                if (!double.IsFinite(errorNorm)) return StepVerdict.Diverged;
                _taken++;
                return StepVerdict.Accept;
            }
        }
    }

    [Theory]
    [InlineData("bosh3", 1e-6, 1e-9)]
    [InlineData("dopri5", 1e-8, 1e-10)]
    public void An_integral_controller_defined_outside_the_library_meets_its_tolerance(string name, double rtol, double atol)
    {
        var saves = Enumerable.Range(0, 13).Select(i => 1.2 * i / 12).ToArray();
        var sol = Integrator.Solve(Problem, ExplicitRungeKutta.ByName(name), 0, 1.2, Exact(0), new SaveAt(saves), new IntegralController(rtol, atol));
        Assert.Equal(SolveResult.Success, sol.Result);
        Assert.Equal(1.2, sol.TFinal);
        Assert.Equal(sol.Stats.Accepted + sol.Stats.Rejected, sol.Stats.Steps);
        for (int i = 0; i < saves.Length; i++)
            Assert.True(MaxError(sol.Values[i], saves[i]) <= 20 * (atol + rtol * 10), $"t = {saves[i]}");
        Assert.Throws<ArgumentException>(() => Integrator.Solve(Problem, ExplicitRungeKutta.Rk4, 0, 1.2, Exact(0), SaveAt.None, new IntegralController(rtol, atol)));
    }

    [Fact]
    public void A_step_list_controller_of_equal_sizes_reproduces_constant_steps_bit_for_bit()
    {
        const int n = 24;
        var list = Integrator.Solve(Problem, ExplicitRungeKutta.Rk4, 0, 1.2, Exact(0), SaveAt.Of(0.5, 1.0), new StepListController(Enumerable.Repeat(1.2 / n, n).ToArray()));
        var constant = Integrator.Solve(Problem, ExplicitRungeKutta.Rk4, 0, 1.2, Exact(0), SaveAt.Of(0.5, 1.0), new ConstantStepSize(n));
        Assert.Equal(constant.YFinal, list.YFinal);
        Assert.Equal(constant.Values, list.Values);
        Assert.Equal(constant.Stats, list.Stats);
    }

    [Fact]
    public void A_step_list_controller_takes_uneven_steps_and_lands_on_t1()
    {
        double[] sizes = [0.05, 0.1, 0.2, 0.4, 0.3, 0.15];
        var sol = Integrator.Solve(Problem, ExplicitRungeKutta.DormandPrince54, 0, 1.2, Exact(0), SaveAt.None with { Dense = true }, new StepListController(sizes));
        Assert.Equal(SolveResult.Success, sol.Result);
        Assert.Equal(sizes.Length, sol.Stats.Accepted);
        Assert.Equal(1.2, sol.TFinal);
        Assert.True(MaxError(sol.Evaluate(0.6), 0.6) < 1e-4);
    }

    [Fact]
    public void Controllers_hold_no_per_solve_state_so_one_instance_gives_identical_solves()
    {
        var pi = new PIController(1e-8, 1e-10);
        var a = Integrator.Solve(Problem, ExplicitRungeKutta.DormandPrince54, 0, 1.2, Exact(0), SaveAt.None, pi);
        var b = Integrator.Solve(Problem, ExplicitRungeKutta.DormandPrince54, 0, 1.2, Exact(0), SaveAt.None, pi);
        Assert.Equal(a.YFinal, b.YFinal);
        Assert.Equal(a.Stats, b.Stats);
    }

    [Fact]
    public void ProposedStep_snaps_a_remainder_below_the_tolerance_into_the_last_step()
    {
        Assert.Equal(new ProposedStep(0.25, false), ProposedStep.Toward(0, 0.25, 1));
        Assert.Equal(new ProposedStep(1, true), ProposedStep.Toward(0, 2, 1));
        var snapped = ProposedStep.Toward(0, 1 - 1e-14, 1);
        Assert.True(snapped.Last);
        Assert.Equal(1, snapped.H);
    }
}
