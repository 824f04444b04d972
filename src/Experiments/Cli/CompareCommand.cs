using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Analytic.Data;
using System.CommandLine;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;
using HeavyTail.Ode.Solvers;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail compare`: a discrete optimizer and the flow it is the limit of, on one time axis
/// (t = η·step; t = √η·step for gd-m against heavy-ball flow with γ = (1 − μ)/√η; Adam against Adam flow with
/// a = (1 − β1)/η, b = (1 − β2)/η).
/// </summary>
public static class CompareCommand
{
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource(ctx.Err.WriteLine);
        var opt = new OptimizerOptions();
        var logEvery = new Option<int>("--log-every") { Description = "log every N steps", DefaultValueFactory = _ => 1 };
        var rtol = new Option<double>("--rtol") { DefaultValueFactory = _ => 1e-10 };
        var atol = new Option<double>("--atol") { DefaultValueFactory = _ => 1e-12 };
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var cmd = new Command("compare", "Run a discrete optimizer and its continuous-time flow on the same time axis.");
        src.AddTo(cmd); opt.AddTo(cmd);
        foreach (Option o in new Option[] { logEvery, rtol, atol, outDir }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            opt.RefuseUnread(r);
            using var claim = ctx.Claim(r.GetValue(outDir)!, "compare");
            string dir = claim.Path;
            var p = src.Load(r);
            var settings = opt.Settings(r);
            int steps = r.GetValue(opt.Steps), every = Math.Max(1, r.GetValue(logEvery));
            var model = LinearModel.Create(p.Loss, p.Data, ctx.Compute);
            var (flow, timeScale) = FlowFor(settings, model);
            var w0 = new double[model.ParameterCount];
            var discrete = ProgressDisplay.Run(ctx, $"{settings.Name} η={settings.Lr:G4}", steps,
                report => TrainingLoop.RunOne(new LinearModelStepper(model, settings.Create(model), p.Groups, w0), new TrainingSchedule(steps, every), null, report, ctx.Cancel));
            var times = discrete.Rows.Select(row => row.Step * timeScale).ToArray();
            // A sign-type flow's right-hand side jumps (sign, scaled-sign: where a gradient coordinate crosses 0; polar: where
            // the gradient's rank drops): error control would chatter there, so it is integrated with fixed Euler steps 16×
            // finer than the optimizer's (its Filippov solution is the limit of such steps). The smooth flows use
            // Dormand–Prince 5(4) with PI control.
            bool discontinuous = flow.Discontinuous;
            double tEnd = Math.Max(times[^1], timeScale);
            var table = FlowTables.Solve(p, model, flow,
                discontinuous ? ExplicitRungeKutta.Euler : ExplicitRungeKutta.DormandPrince54,
                discontinuous ? new ConstantStepSize(Math.Max(1, (int)Math.Round(16 * tEnd / timeScale))) : new PIController(r.GetValue(rtol), r.GetValue(atol), 1_000_000),
                tEnd, new SaveAt(times.Distinct().ToArray()), w0, ctx.Cancel);
            Trajectory.Write(Path.Combine(dir, "trajectory.csv"), discrete.Rows, p.Groups.K);
            Csv.Write(Path.Combine(dir, "flow.csv"), table.Header, table.Rows);
            int lossCol = 1;
            var rows = new List<double[]>();
            double maxDiff = 0;
            for (int i = 0; i < discrete.Rows.Count && i < table.Rows.Count; i++)
            {
                double a = discrete.Rows[i].Loss, b = table.Rows[i][lossCol];
                double diff = Math.Abs(a - b);
                if (double.IsFinite(diff)) maxDiff = Math.Max(maxDiff, diff);
                rows.Add([discrete.Rows[i].Step, times[i], a, b, diff]);
            }
            Csv.Write(Path.Combine(dir, "compare.csv"), ["step", "t", "discrete_loss", "flow_loss", "abs_difference"], rows);
            Figure(p, settings, flow.Name, discrete, times, table, maxDiff).Save(dir, "compare");
            var run = new Dictionary<string, object?>(RunJson.Of(p))
            {
                ["command"] = "compare", ["flow"] = flow.Name,
                ["flow_solver"] = discontinuous ? "euler, fixed steps of lr/16 (discontinuous right-hand side)" : $"dopri5 rtol={r.GetValue(rtol)} atol={r.GetValue(atol)}", ["time_axis"] = settings.Descriptor.Limit!.TimeAxis,
                ["steps"] = steps, ["discrete_status"] = discrete.Status, ["flow_result"] = table.Solution.Result.ToString(),
                ["max_abs_loss_difference"] = maxDiff, ["flow_function_evaluations"] = table.Solution.Stats.FunctionEvaluations,
            };
            foreach (var kv in settings.Describe()) run[kv.Key] = kv.Value;
            JsonOut.Write(Path.Combine(dir, "run.json"), run);
            ctx.Out.WriteLine($"{settings.Name} vs {flow.Name} flow: max |loss difference| = {JsonOut.Number(maxDiff)} over {rows.Count} logged steps → {dir}");
            return FlowCommand.SolveOutcome(ctx, $"the {flow.Name} flow", table.Solution, tEnd, dir);
        });
        return cmd;
    }

    /// <summary>
    /// compare.png: overall and per-group loss against time t, the flow as lines and the discrete run as markers at its
    /// t = η·step (√η·step for heavy ball), log y; per-group flow losses from the flow's group columns, or on the one-hot
    /// model from its class columns (group loss = Σ_{k∈g} π_k ℓ_k / Σ_{k∈g} π_k).
    /// </summary>
    private static Figure Figure(Problem p, OptimizerSettings s, string flowName, TrainingResult discrete, double[] times, FlowTable table, double maxDiff)
    {
        var f = new Figure($"{s.Name} (η = {s.Lr:G3}, markers) vs {flowName} flow (lines): max |Δ loss| = {maxDiff:G3}", "time t", "training loss", logY: true);
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
            var color = Recipes.Plots.Figure.GroupColor(g, k);
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
