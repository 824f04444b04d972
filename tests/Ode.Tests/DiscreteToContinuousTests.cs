using HeavyTail.Tests.Shared;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Theory;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Solvers;

namespace HeavyTail.Ode.Tests;

/// <summary>Discrete optimizers converge to their flows at rate O(η) on the time axis t = η·step.</summary>
public class DiscreteToContinuousTests
{
    private static (LinearModel Model, double[] W0) Problem()
    {
        var p = Problems.Zipf(5, 60, 4, 1.0, seed: 3);
        var w0 = new double[4 * 5];
        new SeededRandom(8).FillGaussian(w0, 0.2);
        return (LinearModel.Create(p.Loss, p.Data, Reference.Managed), w0);
    }

    private static double MaxDiff(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static double Slope(double[] lrs, List<double> errors) =>
        RateCheck.LinearFit(lrs.Select(v => Math.Log(v)).ToArray(), errors.Select(v => Math.Log(v)).ToArray()).Slope;

    [Fact]
    public void Gd_converges_to_gradient_flow_linearly_in_the_step_size()
    {
        var (m, w0) = Problem();
        const double tEnd = 2.0;
        var flow = Integrator.Solve(new GradientFlow(m), ExplicitRungeKutta.DormandPrince54, 0, tEnd, w0, SaveAt.None, new PIController(1e-12, 1e-14)).YFinal;
        var lrs = new[] { 0.2, 0.1, 0.05, 0.025, 0.0125 };
        var errors = new List<double>();
        foreach (var lr in lrs)
        {
            var w = (double[])w0.Clone(); var g = new double[w.Length]; var gd = new GradientDescent(lr);
            for (int s = 0; s < (int)Math.Round(tEnd / lr); s++) { m.LossAndGradient(w, g); gd.Step(w, g); }
            errors.Add(MaxDiff(w, flow));
        }
        Assert.InRange(Slope(lrs, errors), 0.9, 1.1);
    }

    [Fact]
    public void Sign_descent_converges_to_sign_flow_linearly_in_the_step_size()
    {
        // Squared loss on one-hot data (ht-identity): ∂L/∂W[j,a] = π_j (W[j,a] − δ_ja), so sign flow moves each diagonal
        // entry at unit speed to 1 and stops there (sign 0): W[j,j](t) = min(t, 1); off-diagonal entries stay 0.
        var p = Problems.HtIdentity(1);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        int c = p.Data.C;
        double[] Flow(double t) { var w = new double[c * c]; for (int j = 0; j < c; j++) w[j * c + j] = Math.Min(t, 1); return w; }
        var lrs = new[] { 1 / 2.5, 1 / 4.5, 1 / 8.5, 1 / 16.5, 1 / 32.5 };
        var errors = new List<double>();
        foreach (var lr in lrs)
        {
            var w = new double[c * c]; var g = new double[w.Length]; var sd = new SignDescent(lr);
            double worst = 0;
            for (int s = 1; s * lr <= 2.0; s++)
            {
                m.LossAndGradient(w, g); sd.Step(w, g);
                worst = Math.Max(worst, MaxDiff(w, Flow(s * lr)));
            }
            errors.Add(worst);
        }
        Assert.InRange(Slope(lrs, errors), 0.9, 1.1);
        // The numerically integrated sign flow agrees with the closed form before the switch.
        var sol = Integrator.Solve(new SignFlow(m), ExplicitRungeKutta.DormandPrince54, 0, 0.9, new double[c * c], SaveAt.None, new PIController(1e-10, 1e-12));
        Assert.True(MaxDiff(sol.YFinal, Flow(0.9)) < 1e-12);
    }

    [Fact]
    public void Adam_with_scaled_betas_converges_to_adam_flow_linearly_in_the_step_size()
    {
        var (m, w0) = Problem();
        const double a = 1.0, b = 2.0, tEnd = 1.0;
        var flow = new AdamFlow(m, a, b, eps: 1e-8);
        var end = Integrator.Solve(flow, ExplicitRungeKutta.DormandPrince54, 0, tEnd, flow.InitialState(w0), SaveAt.None, new PIController(1e-11, 1e-13));
        Assert.Equal(SolveResult.Success, end.Result);
        var wFlow = flow.Weights(end.YFinal);
        var lrs = new[] { 0.02, 0.01, 0.005, 0.0025, 0.00125 };
        var errors = new List<double>();
        foreach (var lr in lrs)
        {
            var w = (double[])w0.Clone(); var g = new double[w.Length];
            var adam = new Adam(lr, 1 - a * lr, 1 - b * lr, 1e-8);
            for (int s = 0; s < (int)Math.Round(tEnd / lr); s++) { m.LossAndGradient(w, g); adam.Step(w, g); }
            errors.Add(MaxDiff(w, wFlow));
        }
        Assert.InRange(Slope(lrs, errors), 0.85, 1.15);
    }

    [Fact]
    public void Gd_momentum_converges_to_heavy_ball_flow_on_the_sqrt_eta_time_axis()
    {
        var (m, w0) = Problem();
        const double gamma = 2.0, tEnd = 1.5;
        var hb = new HeavyBallFlow(m, gamma);
        var wFlow = hb.Weights(Integrator.Solve(hb, ExplicitRungeKutta.DormandPrince54, 0, tEnd, hb.InitialState(w0), SaveAt.None, new PIController(1e-12, 1e-14)).YFinal);
        var hs = new[] { 0.04, 0.02, 0.01, 0.005, 0.0025 }; // h = √η
        var errors = new List<double>();
        foreach (var h in hs)
        {
            double lr = h * h, mu = 1 - gamma * h;
            var w = (double[])w0.Clone(); var g = new double[w.Length]; var opt = new GradientDescentMomentum(lr, mu);
            for (int s = 0; s < (int)Math.Round(tEnd / h); s++) { m.LossAndGradient(w, g); opt.Step(w, g); }
            errors.Add(MaxDiff(w, wFlow));
        }
        Assert.InRange(Slope(hs, errors), 0.85, 1.15);
    }
}
