using HeavyTail.Analytic.Theory;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Solvers;

namespace HeavyTail.Ode.Tests;

public class SolverOrderTests
{
    /// <summary>y1' = y1·cos t, y2' = −2t·y2 (right-hand sides depend on t), y3' = 1 + y3², on [0, 1.2].</summary>
    /// <remarks>Solutions: y1 = e^{sin t}, y2 = e^{−t²}, y3 = tan t.</remarks>
    internal static readonly IVectorField Problem = new FunctionField(3, (t, y, dy) =>
    {
        dy[0] = y[0] * Math.Cos(t);
        dy[1] = -2 * t * y[1];
        dy[2] = 1 + y[2] * y[2];
    });

    internal static double[] Exact(double t) => [Math.Exp(Math.Sin(t)), Math.Exp(-t * t), Math.Tan(t)];

    internal static double MaxError(double[] y, double t) => y.Zip(Exact(t), (a, b) => Math.Abs(a - b)).Max();

    public static IEnumerable<object[]> FixedStep() =>
    [
        ["euler", new[] { 40, 80, 160, 320, 640, 1280 }],
        ["heun", new[] { 20, 40, 80, 160, 320, 640 }],
        ["rk4", new[] { 10, 20, 40, 80, 160 }],
        ["bosh3", new[] { 10, 20, 40, 80, 160, 320 }],
        ["dopri5", new[] { 8, 12, 16, 24, 32, 48 }],
    ];

    [Theory]
    [MemberData(nameof(FixedStep))]
    public void Fitted_slope_of_log_error_against_log_step_is_the_declared_order(string name, int[] steps)
    {
        var solver = ExplicitRungeKutta.ByName(name);
        const double t1 = 1.2;
        var logH = new List<double>(); var logE = new List<double>();
        foreach (int n in steps)
        {
            var sol = Integrator.Solve(Problem, solver, 0, t1, Exact(0), SaveAt.None, new ConstantStepSize(n));
            Assert.True(sol.Succeeded);
            Assert.Equal(t1, sol.TFinal);
            Assert.Equal(n, sol.Stats.Accepted);
            logH.Add(Math.Log(t1 / n)); logE.Add(Math.Log(MaxError(sol.YFinal, t1)));
        }
        var (slope, _, _) = RateCheck.LinearFit(logH, logE);
        Assert.True(Math.Abs(slope - solver.Order) <= 0.2, $"{name}: fitted order {slope:F3}, declared {solver.Order}");
    }

    [Theory]
    [InlineData("bosh3", 1e-6, 1e-9)]
    [InlineData("dopri5", 1e-6, 1e-9)]
    [InlineData("dopri5", 1e-10, 1e-12)]
    public void Adaptive_solvers_meet_their_tolerance_at_every_saved_time(string name, double rtol, double atol)
    {
        var solver = ExplicitRungeKutta.ByName(name);
        var saves = Enumerable.Range(0, 25).Select(i => 1.2 * i / 24).ToArray();
        var sol = Integrator.Solve(Problem, solver, 0, 1.2, Exact(0), new SaveAt(saves), new PIController(rtol, atol));
        Assert.Equal(SolveResult.Success, sol.Result);
        Assert.Equal(saves, sol.Ts);
        for (int i = 0; i < saves.Length; i++)
        {
            var ex = Exact(saves[i]);
            for (int q = 0; q < 3; q++)
            {
                // Global error of a tolerance-proportional method is a modest multiple of the local tolerance;
                // 20× bounds it for this non-stiff problem (dense output included).
                double tol = 20 * (atol + rtol * Math.Abs(ex[q]));
                Assert.True(Math.Abs(sol.Values[i][q] - ex[q]) <= tol, $"{name} t={saves[i]} y{q}: {sol.Values[i][q]} vs {ex[q]}");
            }
        }
        Assert.True(sol.Stats.FunctionEvaluations > 0 && sol.Stats.Accepted > 0);
    }

    [Fact]
    public void Dense_output_of_dopri5_is_fourth_order_between_steps()
    {
        var errs = new List<double>(); var hs = new List<double>();
        foreach (int n in new[] { 6, 12, 24, 48 })
        {
            var saves = Enumerable.Range(0, n).Select(i => 1.2 * (i + 0.37) / n).ToArray();
            var sol = Integrator.Solve(Problem, ExplicitRungeKutta.DormandPrince54, 0, 1.2, Exact(0), new SaveAt(saves), new ConstantStepSize(n));
            errs.Add(Math.Log(sol.Ts.Select((t, i) => MaxError(sol.Values[i], t)).Max()));
            hs.Add(Math.Log(1.2 / n));
        }
        var (slope, _, _) = RateCheck.LinearFit(hs, errs);
        Assert.InRange(slope, 3.8, 6.2); // interpolation error O(h⁵) locally on top of the O(h⁵) global error
    }

    [Fact]
    public void Max_steps_and_non_finite_states_are_result_codes_not_exceptions()
    {
        var sol = Integrator.Solve(Problem, ExplicitRungeKutta.DormandPrince54, 0, 1.2, Exact(0), SaveAt.None, new PIController(1e-12, 1e-14, MaxSteps: 5));
        Assert.Equal(SolveResult.MaxStepsReached, sol.Result);
        Assert.True(sol.TFinal < 1.2);
        var blowUp = new FunctionField(1, (t, y, dy) => dy[0] = y[0] * y[0]); // y = 1/(1 − t) blows up at t = 1
        var s2 = Integrator.Solve(blowUp, ExplicitRungeKutta.Rk4, 0, 2, [1.0], SaveAt.None, new ConstantStepSize(20));
        Assert.Equal(SolveResult.NonFiniteState, s2.Result);
        var s3 = Integrator.Solve(blowUp, ExplicitRungeKutta.DormandPrince54, 0, 2, [1.0], SaveAt.None, new PIController(1e-8, 1e-10, MaxSteps: 10000));
        Assert.NotEqual(SolveResult.Success, s3.Result);
    }

    [Fact]
    public void Bad_arguments_are_rejected_up_front()
    {
        Assert.Throws<ArgumentException>(() => Integrator.Solve(Problem, ExplicitRungeKutta.Rk4, 0, 1, [1.0], SaveAt.None, new ConstantStepSize(4)));
        Assert.Throws<ArgumentException>(() => Integrator.Solve(Problem, ExplicitRungeKutta.Rk4, 0, 1, Exact(0), SaveAt.Of(2.0), new ConstantStepSize(4)));
        Assert.Throws<ArgumentException>(() => Integrator.Solve(Problem, ExplicitRungeKutta.Rk4, 0, 1, Exact(0), SaveAt.None, new PIController()));
        Assert.Throws<ArgumentException>(() => Integrator.Solve(Problem, ExplicitRungeKutta.Rk4, 1, 0, Exact(0), SaveAt.None, new ConstantStepSize(4)));
    }
}
