using System.CommandLine;
using System.Diagnostics;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Theory;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Solvers;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>`heavytail flow`: integrate a continuous-time flow with an ODE solver; flow.csv, rates.json (rates with verdicts) and run.json.</summary>
public static class FlowCommand
{
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource(ctx.Err.WriteLine);
        var flowName = new Option<string>("--flow") { Description = string.Join("|", FlowTables.FlowNames), Required = true };
        var delta = new Option<double>("--delta") { Description = "sign flow smoothing δ: −g/√(g² + δ²) (0 = exact sign)", DefaultValueFactory = _ => 0 };
        var friction = new Option<double>("--friction") { Description = "heavy-ball friction γ (W'' + γW' + ∇L = 0)", DefaultValueFactory = _ => 1.0 };
        var adamA = new Option<double>("--adam-a") { Description = "Adam flow rate a (β1 = 1 − aη)", DefaultValueFactory = _ => 1.0 };
        var adamB = new Option<double>("--adam-b") { Description = "Adam flow rate b (β2 = 1 − bη)", DefaultValueFactory = _ => 1.0 };
        var eps = new Option<double>("--eps") { Description = "Adam flow ε", DefaultValueFactory = _ => 1e-8 };
        var solver = new Option<string>("--solver") { Description = "euler, heun, rk4, bosh3, dopri5", DefaultValueFactory = _ => "dopri5" };
        var rtol = new Option<double>("--rtol") { DefaultValueFactory = _ => 1e-10, Description = "relative tolerance (adaptive solvers)" };
        var atol = new Option<double>("--atol") { DefaultValueFactory = _ => 1e-12, Description = "absolute tolerance (adaptive solvers)" };
        var steps = new Option<int?>("--fixed-steps") { Description = "use this many fixed steps instead of adaptive control" };
        var beta = new Option<double>("--pi-beta") { DefaultValueFactory = _ => 0.04, Description = "PI controller β (0.04: Hairer's DOPRI5; 0: integral control as SciPy's RK45)" };
        var maxSteps = new Option<int>("--max-steps") { DefaultValueFactory = _ => 100_000, Description = "step limit (sign flow on data whose gradient coordinates change sign chatters under error control: use --fixed-steps or --delta there)" };
        var tEnd = new Option<double>("--t-end") { Description = "final time T", Required = true };
        var saveAt = new Option<string?>("--save-at") { Description = "comma-separated times (default: 0, then log-spaced from min(1e-3, T·1e-6) to T, ≥ 25 per decade and ≥ 200: the early plateau is in view)" };
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var cmd = new Command("flow", "Integrate a flow (gradient, sign, normalized, heavy-ball, Adam, scaled-sign, polar, adam-blocks) and write the per-class/group losses.");
        src.AddTo(cmd);
        foreach (Option o in new Option[] { flowName, delta, friction, adamA, adamB, eps, solver, rtol, atol, steps, beta, maxSteps, tEnd, saveAt, outDir }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            ModeOptionUse.CheckFlow(r.GetValue(flowName)!, r.GetValue(steps) != null,
                new Option[] { delta, friction, adamA, adamB, eps, rtol, atol, beta, maxSteps }.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name));
            using var claim = ctx.Claim(r.GetValue(outDir)!, "flow");
            double t1 = r.GetValue(tEnd);
            IStepSizeController controller = r.GetValue(steps) is int n
                ? new ConstantStepSize(n)
                : new PIController(r.GetValue(rtol), r.GetValue(atol), r.GetValue(maxSteps)) { Beta = r.GetValue(beta) };
            var request = new FlowRequest(src.Load(r), r.GetValue(flowName)!, r.GetValue(solver)!, controller, t1, ParseSaveAt(r.GetValue(saveAt), t1), claim.Path,
                r.GetValue(delta), r.GetValue(friction), r.GetValue(adamA), r.GetValue(adamB), r.GetValue(eps));
            var result = FlowRuns.Run(request, ctx.Compute, ctx.Cancel);
            var st = result.Table.Solution.Stats;
            ctx.Out.WriteLine($"{result.FlowName} flow to t={JsonOut.Number(t1)} with {result.SolverName}: {result.Table.Solution.Result}, {st.Accepted} steps ({st.Rejected} rejected), {st.FunctionEvaluations} evaluations, {result.Table.WallSeconds:F2} s → {claim.Path}");
            foreach (var line in OneHotRates.Lines(result.Rates)) ctx.Out.WriteLine(line);
            return SolveOutcome(ctx, "the flow", result.Table.Solution, t1, claim.Path);
        });
        return cmd;
    }

    /// <summary>0 for a solve that reached T; else one line on stderr (where it stopped, why, what to change) and exit 3.</summary>
    public static int SolveOutcome(CliContext ctx, string what, Solution sol, double t1, string dir)
    {
        if (sol.Succeeded) return 0;
        string fix = sol.Result switch
        {
            SolveResult.MaxStepsReached => "raise --max-steps, loosen --rtol/--atol, or use --fixed-steps",
            SolveResult.NonFiniteState => "the state became NaN or ±∞; lower the step size or check the problem's scale",
            _ => "the step size underflowed; loosen --rtol/--atol or smooth the flow (--delta for sign flow)",
        };
        ctx.Err.WriteLine($"error: {what} stopped at t = {JsonOut.Number(sol.TFinal)} before t = {JsonOut.Number(t1)} ({sol.Result}): {fix}; the rows up to there are in {dir}.");
        return HeavyTailCli.SolveFailedExit;
    }

    /// <summary>--save-at: comma-separated times in [0, T], or the default grid (<see cref="FlowRuns.DefaultSaveAt"/>).</summary>
    public static SaveAt ParseSaveAt(string? text, double t1)
    {
        if (!(t1 > 0) || !double.IsFinite(t1)) throw new UserError($"--t-end {t1} must be positive and finite.");
        if (string.IsNullOrWhiteSpace(text)) return FlowRuns.DefaultSaveAt(t1);
        var ts = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Numbers.TryParseDouble(part, out var t) || !(t >= 0) || t > t1)
                throw new UserError($"--save-at: '{part}' is not a time in [0, {t1}].");
            ts.Add(t);
        }
        return new SaveAt(ts.Distinct().OrderBy(t => t).ToArray());
    }
}
