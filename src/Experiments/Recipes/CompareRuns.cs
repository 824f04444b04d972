using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Theory;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Solvers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Recipes;

/// <summary>A discrete optimizer against the flow it is the limit of (<c>heavytail compare</c>): problem, optimizer, steps, logging, flow tolerances, folder.</summary>
public sealed record CompareRequest(Problem Problem, OptimizerSettings Optimizer, int Steps, int LogEvery, double Rtol, double Atol, string Dir);

/// <summary>What a compare wrote: the largest loss difference, the flow's solution, its end time, the flow's and the discrete run's rates.</summary>
public sealed record CompareResult(string FlowName, double MaxDifference, int Rows, Solution FlowSolution, double TEnd, RateReport FlowRates, RateReport DiscreteRates);

/// <summary>
/// Runs a discrete optimizer and its continuous-time flow on one time axis (t = η·step; t = √η·step for gd-m against
/// heavy-ball flow with γ = (1 − μ)/√η; Adam against Adam flow with a = (1 − β1)/η, b = (1 − β2)/η) and writes
/// trajectory.csv, flow.csv, compare.csv, compare.png, rates.json and run.json.
/// </summary>
public static class CompareRuns
{
    /// <summary>
    /// Tolerance on the discrete run's rates against the flow's closed form: the optimizer at step η follows its flow up to
    /// O(η) in time, which moves a fitted tail exponent by a few hundredths at the step sizes where it is stable (sign descent on
    /// the one-hot model follows sign flow exactly); 0.05 still rejects a wrong law.
    /// </summary>
    public const double DiscreteTolerance = 0.05;

    /// <summary>Runs the request (<paramref name="report"/> gets the steps done) and writes its files into the request's folder.</summary>
    public static CompareResult Run(CompareRequest q, ComputeContext compute, Action<int>? report, CancellationToken cancel = default)
    {
        var p = q.Problem;
        var model = LinearModel.Create(p.Loss, p.Data, compute);
        var (flow, timeScale) = FlowFor(q.Optimizer, model);
        var w0 = new double[model.ParameterCount];
        var discrete = TrainingLoop.RunOne(new LinearModelStepper(model, q.Optimizer.Create(model), p.Groups, w0), new TrainingSchedule(q.Steps, Math.Max(1, q.LogEvery)), null, report, cancel);
        var times = discrete.Rows.Select(row => row.Step * timeScale).ToArray();
        // A sign-type flow's right-hand side jumps (sign, scaled-sign: where a gradient coordinate crosses 0; polar: where the
        // gradient's rank drops): error control would chatter there, so it is integrated with fixed Euler steps 16× finer than
        // the optimizer's (its Filippov solution is the limit of such steps). The smooth flows use Dormand–Prince 5(4), PI control.
        bool jumps = flow.Discontinuous;
        double tEnd = Math.Max(times[^1], timeScale);
        var table = FlowTables.Solve(p, model, flow, jumps ? ExplicitRungeKutta.Euler : ExplicitRungeKutta.DormandPrince54,
            jumps ? new ConstantStepSize(Math.Max(1, (int)Math.Round(16 * tEnd / timeScale))) : new PIController(q.Rtol, q.Atol, 1_000_000),
            tEnd, new SaveAt(times.Distinct().ToArray()), w0, cancel);
        Trajectory.Write(Path.Combine(q.Dir, "trajectory.csv"), discrete.Rows, p.Groups.K);
        Csv.Write(Path.Combine(q.Dir, "flow.csv"), table.Header, table.Rows);
        var rows = new List<double[]>();
        double maxDiff = 0;
        for (int i = 0; i < discrete.Rows.Count && i < table.Rows.Count; i++)
        {
            double a = discrete.Rows[i].Loss, b = table.Rows[i][1], diff = Math.Abs(a - b);
            if (double.IsFinite(diff)) maxDiff = Math.Max(maxDiff, diff);
            rows.Add([discrete.Rows[i].Step, times[i], a, b, diff]);
        }
        Csv.Write(Path.Combine(q.Dir, "compare.csv"), ["step", "t", "discrete_loss", "flow_loss", "abs_difference"], rows);
        CompareFigure(p, q.Optimizer, flow.Name, discrete, times, table, maxDiff).Save(q.Dir, "compare", cancel);
        bool theory = FlowTables.HasClosedForm(p, flow, w0);
        string flowKey = flow is GradientFlow ? "gradient" : flow is SignFlow ? "sign" : flow.Name;
        var flowRates = FlowRates.Evaluate(OneHotRates.ForTable(flowKey, table, p.Data.ClassMass, p.Groups.GroupOf, theory));
        var discreteRates = FlowRates.Evaluate(DiscreteRequest(q, flowKey, theory, discrete, times));
        JsonOut.Write(Path.Combine(q.Dir, "rates.json"), new Dictionary<string, object?> { ["flow"] = OneHotRates.Json(flowRates), ["discrete"] = OneHotRates.Json(discreteRates) });
        var run = new Dictionary<string, object?>(RunJson.Of(p))
        {
            ["command"] = "compare", ["flow"] = flow.Name,
            ["flow_solver"] = jumps ? "euler, fixed steps of lr/16 (discontinuous right-hand side)" : $"dopri5 rtol={q.Rtol} atol={q.Atol}", ["time_axis"] = q.Optimizer.Descriptor.Limit!.TimeAxis,
            ["steps"] = q.Steps, ["discrete_status"] = discrete.Status, ["flow_result"] = table.Solution.Result.ToString(),
            ["max_abs_loss_difference"] = maxDiff, ["flow_function_evaluations"] = table.Solution.Stats.FunctionEvaluations,
            ["rates_verdict"] = new Dictionary<string, object?> { ["flow"] = OneHotRates.Verdict(flowRates.Pass), ["discrete"] = OneHotRates.Verdict(discreteRates.Pass) },
        };
        foreach (var kv in q.Optimizer.Describe()) run[kv.Key] = kv.Value;
        JsonOut.Write(Path.Combine(q.Dir, "run.json"), run);
        return new CompareResult(flow.Name, maxDiff, rows.Count, table.Solution, tEnd, flowRates, discreteRates);
    }

    /// <summary>
    /// The discrete run's per-group losses on the flow's time axis, each judged against the group loss of the flow's closed
    /// form (Σ_{k∈g} π_k ℓ_k(t) / Σ_{k∈g} π_k) where one exists, at <see cref="DiscreteTolerance"/>.
    /// </summary>
    private static RateRequest DiscreteRequest(CompareRequest q, string flowKey, bool theory, TrainingResult discrete, double[] times)
    {
        var p = q.Problem;
        int c = p.Data.C;
        var pi = p.Data.ClassMass;
        var series = Enumerable.Range(0, p.Groups.K).Select(g =>
        {
            var members = Enumerable.Range(0, c).Where(k => p.Groups.GroupOf[k] == g).ToArray();
            double mass = members.Sum(k => pi[k]);
            Func<double, double>? exact = !theory ? null : flowKey == "gradient"
                ? t => members.Sum(k => pi[k] * OneHotTheory.GradientFlowLoss(t, pi[k], c)) / mass
                : t => OneHotTheory.SignFlowLoss(t, c);
            return new RateSeries($"group {g}", mass, discrete.Rows.Select(r => r.GroupLosses[g]).ToArray(), exact);
        }).ToList();
        var flowRequest = OneHotRates.Base(flowKey, c, theory);
        return flowRequest with
        {
            What = $"{q.Optimizer.Name} run (η = {q.Optimizer.Lr:G4}) on the flow's time axis", Times = times, Series = series,
            Tolerance = theory ? DiscreteTolerance : flowRequest.Tolerance, PrefactorTolerance = theory ? DiscreteTolerance : flowRequest.PrefactorTolerance,
            ToleranceReason = theory ? $"the optimizer follows its flow up to O(η) in time; ±{DiscreteTolerance} on the rate and {DiscreteTolerance:P0} on the prefactor" : flowRequest.ToleranceReason,
            // a group of several classes is not one curve of Theorem 3: its crossing times are compared only without a verdict
            ThresholdSlope = null,
        };
    }

    /// <summary>
    /// compare.png: overall and per-group loss against time t, the flow as lines and the discrete run as markers at its
    /// t = η·step (√η·step for heavy ball), log y; per-group flow losses from the flow's group columns, or on the one-hot
    /// model from its class columns (group loss = Σ_{k∈g} π_k ℓ_k / Σ_{k∈g} π_k).
    /// </summary>
    private static Figure CompareFigure(Problem p, OptimizerSettings s, string flowName, TrainingResult discrete, double[] times, FlowTable table, double maxDiff)
    {
        var f = new Figure($"{s.Name} (η = {s.Lr:G3}, markers) vs {flowName} flow (lines): max |Δ loss| = {maxDiff:G3}", "time t", "training loss (nats)", logY: true);
        var ts = table.Rows.Select(r => r[0]).ToArray();
        int k = p.Groups.K, c = p.Data.C;
        // at most ~60 markers per curve (every j-th logged step, and the last) so the flow's line stays visible
        int every = Math.Max(1, (discrete.Rows.Count + 59) / 60);
        var shown = Enumerable.Range(0, discrete.Rows.Count).Where(i => i % every == 0 || i == discrete.Rows.Count - 1).ToArray();
        double[] At(Func<TrainingRow, double> pick) => shown.Select(i => pick(discrete.Rows[i])).ToArray();
        var tShown = shown.Select(i => times[i]).ToArray();
        bool classes = table.Header.Length > 2 && table.Header[2] == "class_0_loss";
        double[] GroupOfFlow(double[] row, int g)
        {
            if (!classes) return [row[2 + g]];
            double sum = 0, mass = 0;
            for (int a = 0; a < c; a++)
                if (p.Groups.GroupOf[a] == g) { sum += p.Data.ClassMass[a] * row[2 + a]; mass += p.Data.ClassMass[a]; }
            return [mass > 0 ? sum / mass : double.NaN];
        }
        for (int g = 0; g < k; g++)
        {
            var color = Figure.GroupColor(g, k);
            string label = g == 0 ? "group 0 (frequent)" : g == k - 1 ? $"group {g} (rare)" : $"group {g}";
            f.Line(ts, table.Rows.Select(r => GroupOfFlow(r, g)[0]).ToArray(), color, label);
            f.Line(tShown, At(r => r.GroupLosses[g]), color, markers: true);
        }
        f.Line(ts, table.Rows.Select(r => r[1]).ToArray(), ScottPlot.Colors.Black, "overall: flow", dashed: true);
        f.Line(tShown, At(r => r.Loss), ScottPlot.Colors.Black, $"overall: {s.Name}", markers: true);
        return f;
    }

    /// <summary>The flow a discrete optimizer tends to, and the time per step (<see cref="OptimizerDescriptor.Limit"/>).</summary>
    public static (ModelFlow Flow, double TimePerStep) FlowFor(OptimizerSettings s, LinearModel model)
    {
        if (!(s.Lr > 0)) throw new UserError("--lr must be positive to compare with a flow.");
        var limit = s.Descriptor.Limit ?? throw new UserError(
            $"no continuous-time limit is implemented for '{s.Name}'; compare supports {string.Join(", ", OptimizerCatalog.All.Where(o => o.Limit != null).Select(o => o.Name))}.");
        return limit.Make(s, model);
    }
}
