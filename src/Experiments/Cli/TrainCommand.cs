using System.CommandLine;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>`heavytail train`: a full-batch optimizer run; trajectory.csv, run.json and W.npy.</summary>
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
            int steps = r.GetValue(opt.Steps), every = r.GetValue(logEvery);
            if (every < 1) throw new UserError($"--log-every {every} must be at least 1.");
            MemoryCheck.CheckLog(steps, every, p.Groups.K);
            var model = LinearModel.Create(p.Loss, p.Data, ctx.Compute);
            var requested = TrainingPaths.Parse(r.GetValue(pathOption)!);
            if (requested == TrainingPath.Gram && initValue != "zeros")
                throw new UserError("--path gram starts from W = 0 (W stays XᵀA in the row space of X); use --init zeros or --path primal.");
            var w0 = ProblemFiles.LoadWeights(initValue == "zeros" ? null : initValue, p.Data.D, p.Data.C, p.Data.HasBias, waiting: src.Waiting);
            var precision = RunTraining.HostPrecision(ctx.Environment);
            var path = initValue == "zeros" ? RunTraining.ChoosePath(requested, model, [settings], steps, precision: precision) : TrainingPath.Primal;
            IStepper stepper = path == TrainingPath.Gram ? new GramStepper(model, [settings], p.Groups)
                : LinearSteppers.Create(model, [settings.Create(model)], p.Groups, precision, w0);
            var result = ProgressDisplay.Run(ctx, $"{settings.Name} η={settings.Lr:G4}", steps,
                report => TrainingLoop.RunOne(stepper, new TrainingSchedule(steps, every), null, report, ctx.Cancel));
            Trajectory.Write(Path.Combine(dir, "trajectory.csv"), result.Rows, p.Groups.K);
            Npy.Write(Path.Combine(dir, "W.npy"), result.W, [p.Data.D, p.Data.C]);
            var run = new Dictionary<string, object?>(RunJson.Of(p))
            {
                ["command"] = "train", ["n"] = p.Data.N, ["d"] = p.Data.D, ["c"] = p.Data.C,
                ["steps"] = steps, ["log_every"] = every, ["init"] = initValue, ["path"] = TrainingPaths.Name(path),
                ["status"] = result.Status, ["steps_done"] = result.StepsDone,
                ["final_loss"] = result.Rows[^1].Loss, ["wall_seconds"] = result.WallSeconds,
                ["dtype"] = ctx.Compute.Precision.Name(), ["backend"] = ctx.Compute.Backend, ["backend_choice"] = ctx.Compute.Choice, ["threads"] = ctx.Compute.Threads, ["machine"] = Environment.MachineName, ["cores"] = Environment.ProcessorCount,
            };
            foreach (var kv in settings.Describe()) run[kv.Key] = kv.Value;
            JsonOut.Write(Path.Combine(dir, "run.json"), run);
            ctx.Out.WriteLine($"{settings.Name} η={JsonOut.Number(settings.Lr)}: {result.Status} after {result.StepsDone} steps, loss {JsonOut.Number(result.Rows[^1].Loss)} ({result.WallSeconds:F2} s) → {dir}");
            return 0;
        });
        return cmd;
    }
}
