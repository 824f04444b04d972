using HeavyTail.Tests.Shared;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Theory;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Solvers;

namespace HeavyTail.Ode.Tests;

public class FlowTests
{
    private static LinearModel SmallModel(out double[] w0)
    {
        var p = Problems.Zipf(4, 40, 3, 1.0, seed: 2);
        w0 = new double[3 * 4];
        new SeededRandom(5).FillGaussian(w0, 0.3);
        return LinearModel.Create(p.Loss, p.Data, Reference.Managed);
    }

    public static IEnumerable<object[]> Flows() => [["gradient"], ["sign"], ["normalized"]];

    private static ModelFlow Make(string name, LinearModel m) => name switch
    {
        "gradient" => new GradientFlow(m),
        "sign" => new SignFlow(m, 0),
        _ => new NormalizedFlow(m),
    };

    [Theory]
    [MemberData(nameof(Flows))]
    public void Dissipation_identity_holds_along_the_integrated_flow(string name)
    {
        LinearModel m; double[] w0;
        if (name == "sign")
        {
            // On the one-hot model no gradient coordinate ever changes sign, so the sign flow's field is smooth along it.
            m = LinearModel.Create(LossKind.CrossEntropy, Problems.OneHot(5, 1.0).Data, Reference.Managed);
            w0 = new double[25];
        }
        else m = SmallModel(out w0);
        var flow = Make(name, m);
        var times = Enumerable.Range(0, 41).Select(i => 0.02 * i).ToArray();
        var sol = Integrator.Solve(flow, ExplicitRungeKutta.DormandPrince54, 0, 0.8, w0, new SaveAt(times), new PIController(1e-11, 1e-13));
        Assert.Equal(SolveResult.Success, sol.Result);
        var loss = sol.Values.Select(m.Loss).ToArray();
        for (int i = 1; i < times.Length - 1; i++)
        {
            double fd = (loss[i + 1] - loss[i - 1]) / (times[i + 1] - times[i - 1]); // O(h²) ≈ 4e-4·|L'''| accuracy
            var g = new double[m.ParameterCount];
            m.LossAndGradient(sol.Values[i], g);
            double predicted = flow.PredictedDissipation(g);
            Assert.Equal(predicted, flow.Dissipation(times[i], sol.Values[i]), 12);
            Assert.True(Math.Abs(fd - predicted) <= 2e-3 * Math.Abs(predicted), $"{name} t={times[i]}: dL/dt ≈ {fd}, identity {predicted}");
        }
        var gg = new double[m.ParameterCount];
        m.LossAndGradient(w0, gg);
        double expected = name switch
        {
            "gradient" => -gg.Sum(v => v * v),
            "sign" => -gg.Sum(Math.Abs),
            _ => -Math.Sqrt(gg.Sum(v => v * v)),
        };
        Assert.Equal(expected, flow.PredictedDissipation(gg), 14);
    }

    [Fact]
    public void Smoothed_sign_flow_approaches_the_exact_one_as_delta_shrinks()
    {
        var p = Problems.OneHot(10, 1.0);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var errors = new List<double>();
        foreach (double delta in new[] { 1e-2, 1e-3, 1e-4, 1e-5, 1e-6 })
        {
            var sol = Integrator.Solve(new SignFlow(m, delta), ExplicitRungeKutta.DormandPrince54, 0, 1.0, new double[100], SaveAt.None, new PIController(1e-10, 1e-12));
            var perClass = m.PerClassLoss(sol.YFinal);
            errors.Add(perClass.Select((l, k) => Math.Abs(l - OneHotTheory.SignFlowLoss(1.0, 10))).Max());
        }
        for (int i = 1; i < errors.Count; i++) Assert.True(errors[i] < errors[i - 1], string.Join(", ", errors));
        Assert.True(errors[^1] < 1e-6, string.Join(", ", errors));
    }

    [Fact]
    public void Gradient_flow_on_one_hot_matches_the_closed_form_to_1e_6_relative()
    {
        int c = 50;
        var p = Problems.OneHot(c, 1.0);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var flow = new GradientFlow(m);
        var save = SaveAt.LogSpaced(0, 1e4, 60);
        var sol = Integrator.Solve(flow, ExplicitRungeKutta.DormandPrince54, 0, 1e4, new double[c * c], save,
            new PIController(1e-10, 1e-12), (t, y) => m.PerClassLoss(y));
        Assert.Equal(SolveResult.Success, sol.Result);
        for (int i = 0; i < sol.Ts.Count; i++)
            for (int k = 0; k < c; k++)
            {
                double exact = OneHotTheory.GradientFlowLoss(sol.Ts[i], p.Data.Weights[k], c);
                Assert.True(Math.Abs(sol.Values[i][k] - exact) <= 1e-6 * exact, $"t={sol.Ts[i]} k={k}: {sol.Values[i][k]} vs {exact}");
            }
    }

    [Fact]
    public void Sign_flow_on_one_hot_matches_the_closed_form_down_to_1e_minus_290()
    {
        int c = 20;
        var p = Problems.OneHot(c, 1.0);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var times = new[] { 0.0, 0.5, 5, 50, 200, 330, 1e4 };
        var sol = Integrator.Solve(new SignFlow(m), ExplicitRungeKutta.DormandPrince54, 0, 1e4, new double[c * c], new SaveAt(times),
            new PIController(1e-10, 1e-12), (t, y) => m.PerClassLoss(y));
        Assert.Equal(SolveResult.Success, sol.Result);
        // Past t ≈ 372 every p_kj underflows; the exact-sign gradient keeps the flow moving at unit speed (margin 2t).
        Assert.Equal(2e4, sol.YFinal[0] - sol.YFinal[1], 8);
        Assert.Equal(0.0, sol.Values[^1][0]);
        for (int i = 0; i < times.Length - 1; i++)
        {
            double exact = OneHotTheory.SignFlowLoss(times[i], c);
            Assert.All(sol.Values[i], l => Assert.True(Math.Abs(l - exact) <= 1e-9 * exact, $"t={times[i]}: {l} vs {exact}"));
        }
        Assert.True(OneHotTheory.SignFlowLoss(330, c) < 1e-280);
    }

    [Fact]
    public void Closed_forms_have_the_theorem_3_rates()
    {
        int c = 100;
        var pi = Problems.ZipfProbabilities(c, 1.0);
        var ts = Enumerable.Range(0, 40).Select(i => Math.Pow(10, 6 + 2.0 * i / 39)).ToArray();
        foreach (int k in new[] { 0, 10, 99 })
        {
            var fit = RateCheck.PowerLawExponent(ts, ts.Select(t => OneHotTheory.GradientFlowLoss(t, pi[k], c)).ToArray(), 1e6);
            Assert.InRange(fit.Fitted, -1.01, -0.99);
        }
        // ℓ depends on π and t only through π·t
        Assert.Equal(OneHotTheory.GradientFlowLoss(1000, 0.01, c), OneHotTheory.GradientFlowLoss(100, 0.1, c), 15);
        var late = pi.Select(q => OneHotTheory.GradientFlowLoss(1e7, q, c)).ToArray();
        Assert.InRange(RateCheck.FrequencyDependence(pi, late, -1).Fitted, -1.01, -0.99);
        // (c−1)/(c π t) asymptote
        Assert.Equal(1.0, OneHotTheory.GradientFlowLoss(1e9, pi[5], c) / ((c - 1) / (c * pi[5] * 1e9)), 5);

        var st = Enumerable.Range(0, 30).Select(i => 5.0 + i).ToArray();
        var sfit = RateCheck.ExponentialRate(st, st.Select(t => OneHotTheory.SignFlowLoss(t, c)).ToArray(), 5);
        Assert.InRange(sfit.Fitted, -2.0001, -1.9999);
        // time to reach a threshold: ∝ 1/π under gradient flow, flat under sign flow
        var ttl = pi.Select(q => OneHotTheory.GradientFlowTimeToLoss(0.01, q, c)).ToArray();
        Assert.InRange(RateCheck.LinearFit(pi.Select(v => Math.Log(v)).ToArray(), ttl.Select(v => Math.Log(v)).ToArray()).Slope, -1.001, -0.999);
        Assert.Equal(0.01, OneHotTheory.GradientFlowLoss(ttl[7], pi[7], c), 12);
        Assert.Equal(0.01, OneHotTheory.SignFlowLoss(OneHotTheory.SignFlowTimeToLoss(0.01, c), c), 14);
    }

    [Fact]
    public void Closed_form_margin_satisfies_its_implicit_equation()
    {
        foreach (var (t, pi, c) in new[] { (0.0, 0.3, 5), (1.0, 0.3, 5), (1e3, 0.01, 100), (1e8, 1e-3, 1000) })
        {
            double u = OneHotTheory.GradientFlowMargin(t, pi, c);
            // eᵘ + (c−1)u = 1 + πct
            Assert.Equal(1.0, (Math.Exp(u) + (c - 1) * u) / (1 + pi * c * t), 12);
        }
    }
}

public class RowSeparableTests
{
    [Fact]
    public void Fused_row_stages_give_the_same_solution_as_plain_stages()
    {
        int c = 300; // 90,000 states: the blocked, parallel path
        var p = Problems.OneHot(c, 1.0);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var flow = new GradientFlow(m);
        Assert.True(flow.IsRowSeparable);
        var plain = new FunctionField(flow.Dimension, flow.Evaluate); // same field, not marked row-separable
        var a = Integrator.Solve(flow, ExplicitRungeKutta.DormandPrince54, 0, 50, new double[c * c], SaveAt.None, new PIController(1e-9, 1e-11));
        var b = Integrator.Solve(plain, ExplicitRungeKutta.DormandPrince54, 0, 50, new double[c * c], SaveAt.None, new PIController(1e-9, 1e-11));
        Assert.Equal(b.Stats, a.Stats);
        for (int i = 0; i < a.YFinal.Length; i++) Assert.Equal(b.YFinal[i], a.YFinal[i], 13);
        Assert.False(new GradientFlow(LinearModel.Create(LossKind.CrossEntropy, Problems.Zipf(3, 20, 2, 1.0).Data, Reference.Managed)).IsRowSeparable);
    }
}
