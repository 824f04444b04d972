using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs;

/// <summary>One full-batch optimizer run as `heavytail train` describes it.</summary>
/// <param name="Problem">the data and its groups.</param>
/// <param name="Optimizer">the optimizer with its step size and hyper-parameters.</param>
/// <param name="Steps">updates T.</param>
/// <param name="LogEvery">log every N steps (and the last).</param>
/// <param name="W0">the starting W (d×c), or null for W = 0.</param>
/// <param name="Path">primal, Gram or auto (Gram only from W = 0).</param>
/// <param name="Init">how W0 was given, for run.json ("zeros" or its file).</param>
public sealed record TrainRequest(Problem Problem, OptimizerSettings Optimizer, int Steps, int LogEvery, double[]? W0 = null,
    TrainingPath Path = TrainingPath.Auto, string Init = "zeros")
{
    /// <summary>One-line refusals of settings that cannot run: the log interval, the log's memory, Gram from a given W.</summary>
    public void Validate()
    {
        if (LogEvery < 1) throw new UserError($"--log-every {LogEvery} must be at least 1.");
        MemoryCheck.CheckLog(Steps, LogEvery, Problem.Groups.K);
        if (Path == TrainingPath.Gram && W0 != null)
            throw new UserError("--path gram starts from W = 0 (W stays XᵀA in the row space of X); use --init zeros or --path primal.");
    }
}

/// <summary>A finished <see cref="TrainRequest"/>: the training result and the path it ran on.</summary>
public sealed record TrainOutcome(TrainRequest Request, TrainingResult Result, TrainingPath Path);

/// <summary>`heavytail train` as one library call, and the files it writes (trajectory.csv, W.npy, run.json).</summary>
public static class TrainJob
{
    /// <summary>Trains the request's run on <paramref name="env"/>'s backend; <paramref name="progress"/> gets the steps done.</summary>
    public static TrainOutcome Run(TrainRequest request, RunEnvironment env, Action<int>? progress = null)
    {
        request.Validate();
        var p = request.Problem;
        var model = LinearModel.Create(p.Loss, p.Data, env.Compute);
        var precision = RunTraining.HostPrecision(env);
        var path = request.W0 == null ? RunTraining.ChoosePath(request.Path, model, [request.Optimizer], request.Steps, precision: precision) : TrainingPath.Primal;
        // zeros: no d×c array here (0.4 GB at m = 11); the stepper starts from W = 0
        var stepper = RunTraining.CreateStepper(path, model, [request.Optimizer], p.Groups, precision, request.W0);
        var result = TrainingLoop.RunOne(stepper, new TrainingSchedule(request.Steps, request.LogEvery), null, progress, env.Cancel);
        return new TrainOutcome(request, result, path);
    }

    /// <summary>Writes trajectory.csv, W.npy and run.json (every setting, status, wall time, backend) into <paramref name="dir"/>, each atomically.</summary>
    public static void Write(TrainOutcome outcome, string dir, ComputeContext compute)
    {
        var (r, result, p) = (outcome.Request, outcome.Result, outcome.Request.Problem);
        Trajectory.Write(System.IO.Path.Combine(dir, "trajectory.csv"), result.Rows, p.Groups.K);
        Npy.Write(System.IO.Path.Combine(dir, "W.npy"), result.W, [p.Data.D, p.Data.C]);
        var run = new Dictionary<string, object?>(RunJson.Of(p))
        {
            ["command"] = "train", ["n"] = p.Data.N, ["d"] = p.Data.D, ["c"] = p.Data.C,
            ["steps"] = r.Steps, ["log_every"] = r.LogEvery, ["init"] = r.Init, ["path"] = TrainingPaths.Name(outcome.Path),
            ["status"] = result.Status, ["steps_done"] = result.StepsDone,
            ["final_loss"] = result.Rows[^1].Loss, ["wall_seconds"] = result.WallSeconds,
            ["dtype"] = compute.Precision.Name(), ["backend"] = compute.Backend, ["backend_choice"] = compute.Choice, ["threads"] = compute.Threads,
            ["machine"] = Environment.MachineName, ["cores"] = Environment.ProcessorCount,
        };
        foreach (var kv in r.Optimizer.Describe()) run[kv.Key] = kv.Value;
        JsonOut.Write(System.IO.Path.Combine(dir, "run.json"), run);
    }
}
