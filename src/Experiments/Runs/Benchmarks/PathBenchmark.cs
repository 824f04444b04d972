using System.Diagnostics;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs.Benchmarks;

/// <summary>
/// One GD run's step on a training path, on the stepper `train` builds (<see cref="RunTraining.CreateStepper"/>), HT-Random(m)
/// generated in the run's precision (float32: <see cref="ProblemOptions.SingleInputs"/>, no float64 X): the setup (the
/// stepper and its first step's lazy work: X packed on the primal path; K = XXᵀ formed by the symmetric rank-k update and
/// packed on the Gram path) and the median step after it, with GFLOP/s and the fractions of the FMA peak.
/// </summary>
public static class PathBenchmark
{
    /// <summary>Multiply-adds ×2 of one GD step: primal 4·n·d·c (Z = XW, G = XᵀR); Gram 2·n²·c per GEMM of K (<see cref="GramStepper.GemmsPerStep"/>).</summary>
    public static double StepFlops(TrainingPath path, long n, long d, long c, bool float32) =>
        path == TrainingPath.Gram ? 2.0 * n * n * c * GramStepper.GemmsPerStep([new OptimizerSettings("gd", 0.1)], float32) : 4.0 * n * d * c;

    /// <summary>Flops of K = XXᵀ by the symmetric rank-k update: n²·d (the lower half's n²d/2 multiply-adds).</summary>
    public static double GramFlops(long n, long d) => (double)n * n * d;

    /// <summary>The path row (kind "path") of one size: setup_s, step_s, GFLOP/s and % of peaks, k_s and k_gflops on the Gram path.</summary>
    public static Dictionary<string, object?> Measure(ComputeContext compute, Precision precision, int m, TrainingPath path, int reps, MachinePeaks peaks, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentNullException.ThrowIfNull(peaks);
        Collect();
        cancel.ThrowIfCancellationRequested();
        var p = Problems.HtRandom(m, singleInputs: precision == Precision.Float32);
        var model = LinearModel.Create(p.Loss, p.Data, compute.LinearAlgebra);
        var sw = Stopwatch.StartNew();
        var stepper = RunTraining.CreateStepper(path, model, [new OptimizerSettings("gd", 0.1)], p.Groups, precision);
        double construct = sw.Elapsed.TotalSeconds;
        bool[] on = [true];
        void Step() { stepper.Evaluate(false, true); stepper.Update(on); }
        double first = Benchmark.Time(Step, cancel);
        // a step of seconds is timed 3 times after the first (the m ≥ 10 shapes); shorter ones as the step rows
        double stepS = Benchmark.Median(Step, first > 2 ? 3 : reps, cancel, warmups: first > 2 ? 0 : 2);
        long n = p.Data.N, d = p.Data.D, c = p.Data.C;
        var row = Benchmark.Row(compute.LinearAlgebra, precision, m, stepS, StepFlops(path, n, d, c, precision == Precision.Float32), double.NaN, peaks, cancel);
        row.Remove("gemm_peak_gflops"); row.Remove("fraction_of_gemm_peak");
        row["kind"] = "path"; row["path"] = TrainingPaths.Name(path);
        row["setup_s"] = construct + Math.Max(0, first - stepS);
        if (path == TrainingPath.Gram)
        {
            // the Gram stepper's constructor forms K (symmetric rank-k update) and packs it
            row["k_s"] = construct;
            row["k_gflops"] = GramFlops(n, d) / construct / 1e9;
            if (row["machine_peak_gflops"] is double mp) row["k_fraction_of_machine_peak"] = GramFlops(n, d) / construct / 1e9 / mp;
        }
        row["peak_working_set_mb"] = Benchmark.PeakWorkingSetMb();
        return row;
    }

    /// <summary>Frees the previous measurement's arrays before the next one's (the peak working set is per process).</summary>
    internal static void Collect()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
    }
}
