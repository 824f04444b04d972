using System.Diagnostics;
using System.Text.Json;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Gpu;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs.Benchmarks;

/// <summary>
/// `heavytail bench` as one library call: one full-batch step (loss + gradient + update), the exact Hessian diagonal and
/// the exact block traces on HT-Random, per backend and precision, median of ≥ 5 timed runs after 2 warm-ups, with GFLOP/s
/// (4·n·d·c per step), the fraction of the backend's measured GEMM peak and of the CPU's FMA peak measured in the same
/// process (<see cref="MachinePeaks"/>), and the ratio to the fastest of PyTorch and NumPy measured in the same run
/// (<see cref="PythonPeers"/>); optionally the training paths' steps and K (<see cref="PathBenchmark"/>), the training
/// loop (<see cref="TrainBenchmark"/>), a step-size grid (<see cref="GridBenchmark"/>) and Hessian spectra (<see cref="SpectraBenchmark"/>).
/// </summary>
public static class Benchmark
{
    /// <summary>Measures what <paramref name="request"/> asks for; progress lines go to <paramref name="log"/>.</summary>
    /// <param name="peaks">the FMA peaks, owned by the caller (measured on first use, then kept by it).</param>
    public static BenchResult Run(BenchRequest request, MachinePeaks peaks, Action<string>? log = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(peaks);
        request.Validate();
        var sizes = request.Sizes.Order().ToArray();
        var dtypes = request.Precisions.Select(p => p.Name()).ToArray();
        var peers = new PythonPeers(request.RepositoryRoot, log, cancel);
        var peerRows = request.Peers ? peers.Steps(sizes, dtypes) : [];
        var steps = new List<Dictionary<string, object?>>();
        var paths = new List<Dictionary<string, object?>>();
        var train = new List<Dictionary<string, object?>>();
        foreach (var backend in request.Backends)
            foreach (var precision in request.Precisions)
            {
                using var compute = Open(backend, request.Threads, precision, log);
                if (compute == null) continue;
                double gemmPeak = GemmPeak(compute.LinearAlgebra, precision, cancel);
                foreach (int m in sizes)
                {
                    var row = StepRow(compute, precision, m, request.Reps, gemmPeak, peaks, cancel);
                    AttachPeers(row, peerRows, m, precision.Name(), "step_s");
                    steps.Add(row);
                    log?.Invoke($"  {backend} {precision.Name()} m={m}: step {(double)row["step_s"]!:G4} s");
                    foreach (var path in request.Paths)
                    {
                        var p = PathBenchmark.Measure(compute, precision, m, path, request.Reps, peaks, cancel);
                        AttachPeers(p, peerRows, m, precision.Name(), "step_s");
                        paths.Add(p);
                        log?.Invoke($"  {backend} {precision.Name()} m={m} {TrainingPaths.Name(path)}: step {(double)p["step_s"]!:G4} s, setup {(double)p["setup_s"]!:G4} s");
                        if (request.Train) train.Add(TrainBenchmark.Measure(compute, precision, m, path, request.TrainSteps, p, log, cancel));
                    }
                }
            }
        var grid = request.GridRuns > 0 ? GridBenchmark.Measure(request, sizes, peers, log, cancel) : [];
        var spectra = request.Spectra ? SpectraBenchmark.Measure(request.Backends[0], request.Threads, sizes, log, cancel) : [];
        cancel.ThrowIfCancellationRequested();
        return new BenchResult(steps, paths, train, grid, spectra, peaks.Measured, AutoChoice(request.Threads), OpenBlasKernels(request.Threads));
    }

    /// <summary>The backend in the precision, or null with a message when it cannot open or compute in it.</summary>
    internal static ComputeContext? Open(string backend, int? threads, Precision precision, Action<string>? log)
    {
        try { return IlgpuProvider.Catalog.Open(backend, threads, precision); }
        catch (ArgumentException e) { log?.Invoke($"skipping backend {backend} {precision.Name()}: {UserError.OneLine(e)}"); return null; }
    }

    /// <summary>The step row of one size: the fused float32 GD step, or float64's stepper with the gradient and curvature passes.</summary>
    private static Dictionary<string, object?> StepRow(ComputeContext compute, Precision precision, int m, int reps, double gemmPeak, MachinePeaks peaks, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        int n = m << m, d = (m + 1) << m, c = (1 << m) - 1;
        var la = compute.LinearAlgebra is SinglePrecisionProvider single ? single.Inner : compute.LinearAlgebra;
        double stepS;
        if (la is IlgpuProvider gpu)
        {
            // the ILGPU backends train with everything resident on the device (float32 only): one GD run
            using var trainer = new DeviceSoftmaxTrainer(gpu, Problems.HtRandomInputsSingle(m), Problems.HtRandomLabels(m), n, d, c, [new OptimizerSettings("gd", 0.1)]);
            stepS = Median(() => trainer.Step(), reps, cancel);
            return Row(la, precision, m, stepS, 4.0 * n * d * c, gemmPeak, peaks, cancel);
        }
        if (precision == Precision.Float32)
        {
            // float32 data straight from the generator; the fused float32 GD stepper
            var step = new FusedSoftmaxGdStepper<float>(Problems.HtRandomInputsSingle(m), Problems.HtRandomLabels(m), n, d, c, la, [0.1]);
            stepS = Median(() => step.Step(), reps, cancel);
            return Row(la, precision, m, stepS, 4.0 * n * d * c, gemmPeak, peaks, cancel);
        }
        var p = Problems.HtRandom(m, seed: 0);
        // float64: the stepper the recipes and `train` use (one pass for loss and ∇L, then the optimizer's update)
        var stepper = new LinearModelStepper(new SoftmaxCrossEntropyModel(p.Data, la), new GradientDescent(0.1), p.Groups);
        bool[] on = [true];
        stepS = Median(() => { stepper.Evaluate(false, true); stepper.Update(on); }, reps, cancel);
        var row = Row(la, precision, m, stepS, 4.0 * n * d * c, gemmPeak, peaks, cancel);
        var model = new SoftmaxCrossEntropyModel(p.Data, la);
        var w = new double[d * c]; new SeededRandom(1).FillGaussian(w, 0.01);
        var g = new double[d * c]; var diag = new double[d * c]; var traces = new double[c];
        double grad = Median(() => model.LossAndGradient(w, g), reps, cancel);
        double tr = Median(() => model.Curvature(w, null, traces), reps, cancel);
        double dg = Median(() => model.Curvature(w, diag, null), reps, cancel);
        row["gradient_s"] = grad; row["block_traces_s"] = tr; row["hessian_diag_s"] = dg;
        row["block_traces_over_gradient"] = tr / grad; row["hessian_diag_over_gradient"] = dg / grad;
        row["peak_working_set_mb"] = PeakWorkingSetMb();
        return row;
    }

    /// <summary>The columns every timed row shares: shape, seconds, GFLOP/s, and the fractions of the GEMM and FMA peaks.</summary>
    internal static Dictionary<string, object?> Row(ILinearAlgebraProvider la, Precision precision, int m, double stepS, double flops, double gemmPeak, MachinePeaks peaks, CancellationToken cancel)
    {
        // the CPU's FMA throughput: meaningless for a device backend
        double? machine = la is IlgpuProvider ? null : peaks.Get(precision, cancel);
        return new()
        {
            ["backend"] = la.Name, ["blas_core"] = (la as NativeBlasProvider)?.CoreName, ["dtype"] = precision.Name(), ["m"] = m,
            ["n"] = m << m, ["d"] = (m + 1) << m, ["c"] = (1 << m) - 1,
            ["step_s"] = stepS, ["gflops"] = flops / stepS / 1e9, ["gemm_peak_gflops"] = gemmPeak, ["fraction_of_gemm_peak"] = flops / stepS / 1e9 / gemmPeak,
            ["machine_peak_gflops"] = machine, ["fraction_of_machine_peak"] = machine is double mp ? flops / stepS / 1e9 / mp : null,
            // the process's peak so far: sizes run in increasing order, so each row's value is the peak up to that size
            ["peak_working_set_mb"] = PeakWorkingSetMb(),
        };
    }

    /// <summary>The process's peak working set so far, MB.</summary>
    internal static double PeakWorkingSetMb() { using var p = Process.GetCurrentProcess(); return p.PeakWorkingSet64 / 1048576.0; }

    /// <summary>The fastest peer's step for this size and precision, and PyTorch's, with our time over theirs.</summary>
    private static void AttachPeers(Dictionary<string, object?> row, List<JsonElement> peerRows, int m, string dtype, string ours)
    {
        var mine = peerRows.Where(p => p.GetProperty("m").GetInt32() == m && p.GetProperty("dtype").GetString() == dtype).ToList();
        double t = (double)row[ours]!;
        var torch = mine.Where(p => p.GetProperty("impl").GetString()!.StartsWith("torch")).Select(p => p.GetProperty("median_s").GetDouble()).DefaultIfEmpty(double.NaN).Min();
        if (double.IsFinite(torch)) { row["torch_step_s"] = torch; row["ratio_to_torch"] = t / torch; }
        if (mine.OrderBy(p => p.GetProperty("median_s").GetDouble()).FirstOrDefault() is { ValueKind: JsonValueKind.Object } best)
        {
            row["peer"] = best.GetProperty("impl").GetString();
            row["peer_step_s"] = best.GetProperty("median_s").GetDouble();
            row["ratio_to_peer"] = t / best.GetProperty("median_s").GetDouble();
        }
    }

    /// <summary>
    /// Median time of <paramref name="a"/> after 2 warm-ups over at least <paramref name="reps"/> runs, more for short
    /// actions (until ≈ 1 s has been timed, at most 200 runs): a 3 ms step timed 5 times is at the mercy of one hiccup.
    /// </summary>
    /// <param name="warmups">untimed runs first (2 by default).</param>
    public static double Median(Action a, int reps, CancellationToken cancel = default, int warmups = 2)
    {
        ArgumentNullException.ThrowIfNull(a);
        for (int w = 0; w < warmups; w++) { cancel.ThrowIfCancellationRequested(); a(); }
        var ts = new List<double>();
        double total = 0;
        while (ts.Count < reps || (total < 1.0 && ts.Count < 200))
        {
            cancel.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew(); a();
            ts.Add(sw.Elapsed.TotalSeconds); total += ts[^1];
        }
        ts.Sort();
        return ts[ts.Count / 2];
    }

    /// <summary>Seconds of one run of <paramref name="a"/>.</summary>
    internal static double Time(Action a, CancellationToken cancel) { cancel.ThrowIfCancellationRequested(); var sw = Stopwatch.StartNew(); a(); return sw.Elapsed.TotalSeconds; }

    /// <summary>GFLOP/s of a 2048³ GEMM on this backend in the precision (the "measured peak"; a smaller size on the ILGPU CPU accelerator).</summary>
    public static double GemmPeak(ILinearAlgebraProvider la, Precision precision, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(la);
        if (la is SinglePrecisionProvider single) la = single.Inner;
        if (la is IlgpuProvider gpu) return gpu.MeasureGemmGflops(gpu.IsCuda ? 4096 : 256, 3);
        const int s = 2048;
        double flops = 2.0 * s * s * s;
        if (precision == Precision.Float32)
        {
            var a = new float[s * s]; var b = new float[s * s]; var c = new float[s * s];
            for (int i = 0; i < a.Length; i++) { a[i] = (i % 7) * 0.1f; b[i] = (i % 5) * 0.1f; }
            return flops / Median(() => la.Gemm(false, false, s, s, s, 1f, a, s, b, s, 0f, c, s), 3, cancel) / 1e9;
        }
        var ad = new double[s * s]; var bd = new double[s * s]; var cd = new double[s * s];
        for (int i = 0; i < ad.Length; i++) { ad[i] = (i % 7) * 0.1; bd[i] = (i % 5) * 0.1; }
        return flops / Median(() => la.Gemm(false, false, s, s, s, 1.0, ad, s, bd, s, 0.0, cd, s), 3, cancel) / 1e9;
    }

    /// <summary>What `--backend auto` picks on this machine, by its GEMM probe.</summary>
    private static string AutoChoice(int? threads) { using var auto = IlgpuProvider.Catalog.Open("auto", threads); return auto.Choice; }

    /// <summary>The OpenBLAS library and the kernels it runs here (null without OpenBLAS).</summary>
    private static string? OpenBlasKernels(int? threads)
    {
        using var native = NativeBlasProvider.TryCreate(threads ?? Environment.ProcessorCount);
        if (native == null) return null;
        return $"{native.Library}, core {native.CoreName}" +
            (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { } ct ? $" (OPENBLAS_CORETYPE={ct} is set in this environment)" : "");
    }
}
