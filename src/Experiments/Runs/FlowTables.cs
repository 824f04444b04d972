using System.Diagnostics;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Theory;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Solvers;

namespace HeavyTail.Experiments.Runs;

/// <summary>A solved flow as table columns: per-class (one-hot) or per-group losses, plus the closed form where one exists.</summary>
public sealed record FlowTable(string[] Header, List<double[]> Rows, Solution Solution, double WallSeconds);

/// <summary>Flows by name, and a solved flow as the table flow.csv holds.</summary>
public static class FlowTables
{
    /// <summary>The flows <see cref="Make"/> knows, as <c>heavytail flow --flow</c> accepts them.</summary>
    public static readonly string[] FlowNames = ["gradient", "sign", "normalized", "heavy-ball", "adam", "scaled-sign", "polar", "adam-blocks"];

    /// <summary>The named flow on <paramref name="model"/>: δ smooths sign flow, <paramref name="friction"/> is heavy ball's γ, a and b are Adam's rates (β₁ = 1 − aη, β₂ = 1 − bη), ε Adam's; an unknown name is a <see cref="UserError"/>.</summary>
    public static ModelFlow Make(string name, LinearModel model, double delta = 0, double friction = 1, double a = 1, double b = 1, double eps = 1e-8) => name switch
    {
        "gradient" => new GradientFlow(model),
        "sign" => new SignFlow(model, delta),
        "normalized" => new NormalizedFlow(model),
        "heavy-ball" => new HeavyBallFlow(model, friction),
        "adam" => new AdamFlow(model, a, b, eps),
        "scaled-sign" => new ScaledSignFlow(model),
        "polar" => new PolarFlow(model),
        "adam-blocks" => new AdamFlow(model, a, b, eps, blockwise: true),
        _ => throw new UserError($"unknown flow '{name}'{Analytic.Spelling.DidYouMean(name, FlowNames)}; choose one of: {string.Join(", ", FlowNames)}."),
    };

    /// <summary>Whether <see cref="OneHotTheory"/> has the flow's per-class losses in closed form: gradient flow or exact sign flow on the one-hot model from W = 0.</summary>
    public static bool HasClosedForm(Problem p, ModelFlow flow, IReadOnlyList<double> w0) =>
        p.Name == "one-hot" && w0.All(v => v == 0) && flow is GradientFlow or SignFlow { Delta: 0 };

    /// <summary>Solves and tabulates: t, loss, class_k_loss (one-hot) or group_g_loss, then theory_… columns where a closed form exists.</summary>
    public static FlowTable Solve(Problem p, LinearModel model, ModelFlow flow, ExplicitRungeKutta solver, IStepSizeController controller,
        double t1, SaveAt save, double[] w0, CancellationToken cancel = default)
    {
        bool oneHot = p.Name == "one-hot";
        bool theory = HasClosedForm(p, flow, w0);
        int c = model.C;
        var pi = p.Data.ClassMass;
        var header = new List<string> { "t", "loss" };
        header.AddRange(oneHot ? Enumerable.Range(0, c).Select(k => $"class_{k}_loss") : Enumerable.Range(0, p.Groups.K).Select(g => $"group_{g}_loss"));
        if (theory) { header.Add("theory_loss"); header.AddRange(Enumerable.Range(0, c).Select(k => $"theory_class_{k}_loss")); }
        // dL/dt = ⟨∇L, dW/dt⟩ from the flow's own field, and the identity it should equal (−‖g‖², −‖g‖₁, −‖g‖; empty where none)
        header.Add("dL_dt"); header.Add("dL_dt_identity");
        var g = new double[model.ParameterCount];
        var field = new double[flow.Dimension];
        var losses = new double[model.N];
        var sw = Stopwatch.StartNew();
        // the model refuses non-finite weights, but a diverging solve passes them to the field at its stages: give it NaN
        // there instead, so the solver stops with NonFiniteState (exit 3 in the CLI) rather than an argument error
        var guarded = new FunctionField(flow.Dimension, (t, y, dydt) =>
        {
            if (y.All(double.IsFinite)) flow.Evaluate(t, y, dydt);
            else Array.Fill(dydt, double.NaN);
        });
        var sol = Integrator.Solve(guarded, solver, 0, t1, flow.InitialState(w0), save, controller, (t, y) =>
        {
            // a diverging solve can hand a saved time a non-finite state before it stops with NonFiniteState: record NaN
            if (!y.All(double.IsFinite)) return Enumerable.Repeat(double.NaN, header.Count).Select((v, i) => i == 0 ? t : v).ToArray();
            var w = flow.Weights(y);
            double loss = model.LossAndGradient(w, g, losses);   // one pass: loss, per-sample losses and ∇L
            var row = new List<double> { t, loss };
            row.AddRange(oneHot ? model.PerClassLossFromSamples(losses) : model.PerGroupLossFromSamples(losses, p.Groups));
            if (theory)
            {
                var th = Enumerable.Range(0, c).Select(k => flow is GradientFlow ? OneHotTheory.GradientFlowLoss(t, pi[k], c) : OneHotTheory.SignFlowLoss(t, c)).ToArray();
                var total = new Analytic.CompensatedSum();
                for (int k = 0; k < c; k++) total.Add(pi[k] * th[k]);
                row.Add(total.Value);
                row.AddRange(th);
            }
            flow.Evaluate(t, y, field);
            double rate = 0;
            for (int q = 0; q < g.Length; q++) rate += g[q] * field[q];
            row.Add(rate);
            row.Add(flow.PredictedDissipation(g));
            return row.ToArray();
        }, cancel);
        return new FlowTable(header.ToArray(), sol.Values.ToList(), sol, sw.Elapsed.TotalSeconds);
    }
}
