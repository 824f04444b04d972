using System.Diagnostics;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs.Benchmarks;

/// <summary>
/// The training loop `train --problem ht-random --m M --optimizer gd --dtype D --path P` runs, timed from before the data
/// is generated: the problem (in the run's precision), the stepper (<see cref="RunTraining.CreateStepper"/>) and
/// <see cref="TrainingLoop"/> over a few steps, each step's end stamped by the loop's progress callback.
/// </summary>
public static class TrainBenchmark
{
    /// <summary>
    /// The train row (kind "train"): data_s (generation), stepper_s (the stepper: K on the Gram path), step_s (the steady
    /// state, the median of the steps after the first), setup_s (everything before the first step that is not a step: the
    /// first step's time less step_s, plus data and stepper), step_over_bench (step_s over the path row's step), total_s.
    /// </summary>
    /// <param name="pathRow">the path row of the same size and path (its step_s is the benchmark step).</param>
    public static Dictionary<string, object?> Measure(ComputeContext compute, Precision precision, int m, TrainingPath path, int steps,
        IReadOnlyDictionary<string, object?> pathRow, Action<string>? log, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentNullException.ThrowIfNull(pathRow);
        PathBenchmark.Collect();
        var sw = Stopwatch.StartNew();
        var p = Problems.Create(new ProblemOptions { Name = "ht-random", M = m, SingleInputs = precision == Precision.Float32 });
        double data = sw.Elapsed.TotalSeconds;
        var model = LinearModel.Create(p.Loss, p.Data, compute.LinearAlgebra);
        var stepper = RunTraining.CreateStepper(path, model, [new OptimizerSettings("gd", 0.00316)], p.Groups, precision);
        double built = sw.Elapsed.TotalSeconds;
        var stamps = new List<double>();
        TrainingLoop.RunOne(stepper, new TrainingSchedule(steps, 1), progress: _ => stamps.Add(sw.Elapsed.TotalSeconds), cancel: cancel);
        double total = sw.Elapsed.TotalSeconds;
        var gaps = stamps.Skip(1).Zip(stamps, (b, a) => b - a).Order().ToList();
        // the median (the middle pair's mean for an even count: the upper one alone would be the larger of two)
        double step = gaps.Count % 2 == 1 ? gaps[gaps.Count / 2] : (gaps[gaps.Count / 2 - 1] + gaps[gaps.Count / 2]) / 2, firstStep = stamps[0] - built;
        double bench = (double)pathRow["step_s"]!;
        var row = new Dictionary<string, object?>
        {
            ["kind"] = "train", ["backend"] = compute.LinearAlgebra.Name, ["dtype"] = precision.Name(), ["m"] = m, ["path"] = TrainingPaths.Name(path),
            ["steps"] = steps, ["data_s"] = data, ["stepper_s"] = built - data, ["first_step_s"] = firstStep, ["step_s"] = step,
            ["setup_s"] = built + Math.Max(0, firstStep - step), ["setup_over_step"] = (built + Math.Max(0, firstStep - step)) / step,
            ["bench_step_s"] = bench, ["step_over_bench"] = step / bench, ["total_s"] = total,
            ["peak_working_set_mb"] = Benchmark.PeakWorkingSetMb(),
        };
        log?.Invoke($"  train {row["backend"]} {precision.Name()} m={m} {TrainingPaths.Name(path)}: setup {(double)row["setup_s"]!:G4} s, step {step:G4} s ({step / bench:F2}× bench)");
        return row;
    }
}
