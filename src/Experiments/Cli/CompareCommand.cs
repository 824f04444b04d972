using System.CommandLine;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail compare`: a discrete optimizer and the flow it is the limit of, on one time axis (<see cref="CompareRuns"/>);
/// prints the largest loss difference and the rates of both with their verdicts (rates.json).
/// </summary>
public static class CompareCommand
{
    /// <summary>The command and its options.</summary>
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource(ctx.Err.WriteLine);
        var opt = new OptimizerOptions();
        var logEvery = new Option<int>("--log-every") { Description = "log every N steps", DefaultValueFactory = _ => 1 };
        var rtol = new Option<double>("--rtol") { DefaultValueFactory = _ => 1e-10 };
        var atol = new Option<double>("--atol") { DefaultValueFactory = _ => 1e-12 };
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var cmd = new Command("compare", "Run a discrete optimizer and its continuous-time flow on the same time axis; rates with verdicts in rates.json.");
        src.AddTo(cmd); opt.AddTo(cmd);
        foreach (Option o in new Option[] { logEvery, rtol, atol, outDir }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            opt.RefuseUnread(r);
            using var claim = ctx.Claim(r.GetValue(outDir)!, "compare");
            var settings = opt.Settings(r);
            var request = new CompareRequest(src.Load(r), settings, r.GetValue(opt.Steps), r.GetValue(logEvery), r.GetValue(rtol), r.GetValue(atol), claim.Path);
            var result = ProgressDisplay.Run(ctx, $"{settings.Name} η={settings.Lr:G4}", request.Steps, report => CompareRuns.Run(request, ctx.Compute, report, ctx.Cancel));
            ctx.Out.WriteLine($"{settings.Name} vs {result.FlowName} flow: max |loss difference| = {JsonOut.Number(result.MaxDifference)} over {result.Rows} logged steps → {claim.Path}");
            foreach (var line in OneHotRates.Lines(result.FlowRates).Concat(OneHotRates.Lines(result.DiscreteRates))) ctx.Out.WriteLine(line);
            return FlowCommand.SolveOutcome(ctx, $"the {result.FlowName} flow", result.FlowSolution, result.TEnd, claim.Path);
        });
        return cmd;
    }
}
