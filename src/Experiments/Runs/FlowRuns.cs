using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Solvers;

namespace HeavyTail.Experiments.Runs;

/// <summary>
/// A flow to integrate (<c>heavytail flow</c>): the problem, the flow by name with its parameters (δ for sign flow,
/// friction for heavy ball, Adam's a, b, ε), the solver by name, its step-size controller, the final time, the saved times
/// and the output folder.
/// </summary>
public sealed record FlowRequest(Problem Problem, string Flow, string Solver, IStepSizeController Controller, double TEnd, SaveAt Save, string Dir,
    double Delta = 0, double Friction = 1, double AdamA = 1, double AdamB = 1, double Eps = 1e-8);

/// <summary>A finished (or stopped) flow: its table, the rates and their verdicts, and the run.json it wrote.</summary>
public sealed record FlowResult(string FlowName, string SolverName, FlowTable Table, RateReport Rates, Dictionary<string, object?> Run);

/// <summary>Integrates a flow from W = 0 and writes flow.csv, rates.json and run.json into the request's folder.</summary>
public static class FlowRuns
{
    /// <summary>
    /// The default saved times: 0, then log-spaced from min(1e-3, T·1e-6) to T with at least 25 per decade (and at least
    /// 200). The plateau at ℓ_k ≈ log c lasts until t ≈ 1/(c π_k) under gradient flow, 0.1 or less for the frequent classes
    /// of a Zipf model, so it starts in view whatever T is; 25 per decade keep the crossing-time interpolation within ~1 %.
    /// </summary>
    public static SaveAt DefaultSaveAt(double tEnd)
    {
        double from = Math.Min(1e-3, tEnd * 1e-6);
        int count = Math.Max(200, (int)Math.Ceiling(25 * Math.Log10(tEnd / from)) + 1);
        return SaveAt.LogSpaced(0, tEnd, count, from / tEnd);
    }

    /// <summary>
    /// Solves the request's flow from W = 0 and writes DIR/flow.csv, DIR/rates.json (<see cref="OneHotRates"/>) and
    /// DIR/run.json (settings, solver statistics, result, the rates' verdict), each atomically.
    /// </summary>
    public static FlowResult Run(FlowRequest q, ComputeContext compute, CancellationToken cancel = default)
    {
        if (!(q.TEnd > 0) || !double.IsFinite(q.TEnd)) throw new UserError($"--t-end {q.TEnd} must be positive and finite.");
        var p = q.Problem;
        var model = LinearModel.Create(p.Loss, p.Data, compute);
        var flow = FlowTables.Make(q.Flow, model, q.Delta, q.Friction, q.AdamA, q.AdamB, q.Eps);
        var solver = ExplicitRungeKutta.ByName(q.Solver);
        var w0 = new double[model.ParameterCount];
        var table = FlowTables.Solve(p, model, flow, solver, q.Controller, q.TEnd, q.Save, w0, cancel);
        Csv.Write(Path.Combine(q.Dir, "flow.csv"), table.Header, table.Rows);
        var rates = OneHotRates.Write(q.Dir, OneHotRates.ForTable(q.Flow, table, p.Data.ClassMass, p.Groups.GroupOf, FlowTables.HasClosedForm(p, flow, w0)));
        var run = RunRecord(q, flow.Name, solver.Name, table);
        run["rates_verdict"] = OneHotRates.Verdict(rates.Pass);
        JsonOut.Write(Path.Combine(q.Dir, "run.json"), run);
        return new FlowResult(flow.Name, solver.Name, table, rates, run);
    }

    private static Dictionary<string, object?> RunRecord(FlowRequest q, string flow, string solver, FlowTable table)
    {
        var st = table.Solution.Stats;
        string name = q.Flow;
        return new Dictionary<string, object?>(RunJson.Of(q.Problem))
        {
            ["command"] = "flow", ["flow"] = flow, ["solver"] = solver, ["t_end"] = q.TEnd,
            ["controller"] = q.Controller is PIController pi ? new Dictionary<string, object?> { ["rtol"] = pi.Rtol, ["atol"] = pi.Atol, ["beta"] = pi.Beta, ["max_steps"] = pi.MaxSteps } : $"fixed {((ConstantStepSize)q.Controller).Steps} steps",
            ["result"] = table.Solution.Result.ToString(), ["t_final"] = table.Solution.TFinal,
            ["stats"] = new Dictionary<string, object?> { ["steps"] = st.Steps, ["accepted"] = st.Accepted, ["rejected"] = st.Rejected, ["function_evaluations"] = st.FunctionEvaluations },
            ["wall_seconds"] = table.WallSeconds, ["n"] = q.Problem.Data.N, ["d"] = q.Problem.Data.D, ["c"] = q.Problem.Data.C,
            ["delta"] = name == "sign" ? q.Delta : null, ["friction"] = name == "heavy-ball" ? q.Friction : null,
            ["adam_a"] = name is "adam" or "adam-blocks" ? q.AdamA : null, ["adam_b"] = name is "adam" or "adam-blocks" ? q.AdamB : null,
        };
    }
}
