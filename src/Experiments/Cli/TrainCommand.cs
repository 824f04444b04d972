using System.CommandLine;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Ode.Training;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>`heavytail train`: parses a <see cref="TrainRequest"/>, runs <see cref="TrainJob.Run"/> with progress and writes its files (trajectory.csv, run.json, W.npy).</summary>
public static class TrainCommand
{
    public static Command Create(CliContext ctx)
    {
        var src = new ProblemSource(ctx.Err.WriteLine);
        var opt = new OptimizerOptions();
        var init = new Option<string>("--init") { Description = "zeros or a W.npy file (d×c)", DefaultValueFactory = _ => "zeros" };
        var logEvery = new Option<int>("--log-every") { Description = "log every N steps (and the last)", DefaultValueFactory = _ => 1 };
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var dtype = new DtypeOption();
        var pathOption = TrainingPathOption.Create();
        var cmd = new Command("train", "Run a discrete optimizer (full batch) and log the loss and per-group losses.");
        src.AddTo(cmd); opt.AddTo(cmd);
        cmd.Options.Add(init); cmd.Options.Add(logEvery); cmd.Options.Add(outDir); cmd.Options.Add(dtype); cmd.Options.Add(pathOption);
        cmd.SetAction(r =>
        {
            opt.RefuseUnread(r);
            using var claim = ctx.Claim(r.GetValue(outDir)!, "train");
            string dir = claim.Path;
            string initValue = r.GetValue(init)!;
            var p = src.Load(r, initValue == "zeros" ? null : ProblemFiles.ColumnsOf(initValue, src.Waiting), ctx.Precision ?? Precision.Float64);
            var settings = opt.Settings(r);
            var w0 = initValue == "zeros" ? null : ProblemFiles.LoadWeights(initValue, p.Data.D, p.Data.C, p.Data.HasBias, waiting: src.Waiting);
            var request = new TrainRequest(p, settings, r.GetValue(opt.Steps), r.GetValue(logEvery), w0, TrainingPaths.Parse(r.GetValue(pathOption)!), initValue);
            request.Validate();
            var outcome = ProgressDisplay.Run(ctx, $"{settings.Name} η={settings.Lr:G4}", request.Steps, report => TrainJob.Run(request, ctx.Environment, report));
            TrainJob.Write(outcome, dir, ctx.Compute);
            var result = outcome.Result;
            ctx.Out.WriteLine($"{settings.Name} η={JsonOut.Number(settings.Lr)}: {result.Status} after {result.StepsDone} steps, loss {JsonOut.Number(result.Rows[^1].Loss)} ({result.WallSeconds:F2} s) → {dir}");
            return 0;
        });
        return cmd;
    }
}
