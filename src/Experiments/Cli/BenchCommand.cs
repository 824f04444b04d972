using System.CommandLine;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text.Json;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;
using Spectre.Console;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `heavytail bench`: one full-batch step (loss + gradient + update), the exact Hessian diagonal and the exact block traces
/// on HT-Random, per backend and dtype, median of ≥ 5 timed runs after 2 warm-ups, with GFLOP/s (4·n·d·c per step), the
/// fraction of the backend's measured GEMM peak, and the ratio to the fastest of PyTorch and NumPy measured in the same
/// run by bench/peers.py (skipped with a message when python3-torch is absent: run bench/setup.sh).
/// </summary>
public static class BenchCommand
{
    public static Command Create(CliContext ctx)
    {
        var sizes = new Option<string>("--sizes") { Description = "HT-Random sizes m", DefaultValueFactory = _ => "7,9" };
        var dtypes = new Option<string>("--dtype") { Description = "float32, float64 or both", DefaultValueFactory = _ => "float32,float64" };
        var backends = new Option<string>("--backends") { Description = "comma-separated: cpu, native (OpenBLAS), or registered ones (gpu)", DefaultValueFactory = _ => "cpu,native" };
        var reps = new Option<int>("--reps") { Description = "timed repetitions (median reported)", DefaultValueFactory = _ => 5 };
        var peers = new Option<bool>("--no-peers") { Description = "skip PyTorch/NumPy" };
        var outJson = new Option<string?>("--out") { Description = "also write the rows as JSON lines here" };
        var gridRuns = new Option<int>("--grid") { Description = "also time a step-size grid of R GD runs (100 steps, same data): one batched run vs R runs one after another here and in PyTorch/NumPy (bench/peers.py grid); 0 = off", DefaultValueFactory = _ => 0 };
        var spectra = new Option<bool>("--spectra") { Description = "also time Hessian spectra (float64, first backend): top-1 and top-5 eigenvalues (block Lanczos) and the SLQ density, in HVPs and seconds, against PyHessian's cost model (one HVP ≈ 2 gradients)" };
        var cmd = new Command("bench", "Time a full-batch step, the Hessian diagonal and block traces per backend, against PyTorch and NumPy.");
        foreach (Option o in new Option[] { sizes, dtypes, backends, reps, peers, outJson, gridRuns, spectra }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            if (r.GetValue(outJson) is string outPath) OutputFolder.PrepareFile(outPath);
            var ms = r.GetValue(sizes)!.Split(',').Select(s => Numbers.TryParseInt(s, out var v) && v is >= Problems.MinM and <= Problems.MaxM ? v : throw new UserError($"--sizes: '{s}' is not a size m in {Problems.MinM}..{Problems.MaxM}.")).ToArray();
            var dts = r.GetValue(dtypes)!.Split(',').Select(s => s is "float32" or "float64" ? s : throw new UserError($"--dtype: '{s}' is not float32 or float64.")).ToArray();
            var bks = r.GetValue(backends)!.Split(',');
            int n = Math.Max(5, r.GetValue(reps));
            var rows = new List<Dictionary<string, object?>>();
            var peerRows = r.GetValue(peers) ? new List<JsonElement>() : RunPeers(ctx, ms, dts);
            foreach (var bk in bks)
            {
                ComputeContext compute;
                try { compute = HeavyTailCli.Backends.Open(bk, ctx.Threads); }
                catch (ArgumentException e) { ctx.Err.WriteLine($"skipping backend {bk}: {UserError.OneLine(e)}"); continue; }
                using var _ = compute;
                var la = compute.LinearAlgebra;
                foreach (var dt in dts)
                {
                    if (la is Gpu.IlgpuProvider && dt != "float32") { ctx.Err.WriteLine($"skipping {bk} {dt}: the ILGPU backends run in float32."); continue; }
                    double peak = GemmPeak(la, dt, ctx.Cancel);
                    foreach (int m in ms)
                    {
                        ctx.Cancel.ThrowIfCancellationRequested();
                        var row = Measure(la, dt, m, n, peak, ctx.Cancel);
                        var best = peerRows.Where(p => p.GetProperty("m").GetInt32() == m && p.GetProperty("dtype").GetString() == dt)
                            .OrderBy(p => p.GetProperty("median_s").GetDouble()).FirstOrDefault();
                        var torch = peerRows.Where(p => p.GetProperty("m").GetInt32() == m && p.GetProperty("dtype").GetString() == dt
                                && p.GetProperty("impl").GetString()!.StartsWith("torch")).Select(p => p.GetProperty("median_s").GetDouble()).DefaultIfEmpty(double.NaN).Min();
                        if (double.IsFinite(torch)) { row["torch_step_s"] = torch; row["ratio_to_torch"] = (double)row["step_s"]! / torch; }
                        if (best.ValueKind == JsonValueKind.Object)
                        {
                            row["peer"] = best.GetProperty("impl").GetString();
                            row["peer_step_s"] = best.GetProperty("median_s").GetDouble();
                            row["ratio_to_peer"] = (double)row["step_s"]! / best.GetProperty("median_s").GetDouble();
                        }
                        rows.Add(row);
                        if (!ctx.Quiet) ctx.Err.WriteLine($"  {bk} {dt} m={m}: step {(double)row["step_s"]!:G4} s");
                    }
                }
            }
            ctx.Cancel.ThrowIfCancellationRequested();
            Print(ctx, rows);
            // what `--backend auto` picks on this machine, by its GEMM probe, and the kernels OpenBLAS runs here
            using (var auto = HeavyTailCli.Backends.Open("auto", ctx.Threads))
                ctx.Out.WriteLine($"--backend auto → {auto.Choice}");
            using (var native = NativeBlasProvider.TryCreate(ctx.Threads))
                if (native != null)
                    ctx.Out.WriteLine($"OpenBLAS: {native.Library}, core {native.CoreName}" +
                        (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { } ct ? $" (OPENBLAS_CORETYPE={ct} is set in this environment)" : ""));
            if (r.GetValue(gridRuns) is int gr and > 0)
            {
                var gridRows = Grid(ctx, ms, dts, bks, gr, 100, r.GetValue(peers));
                PrintGrid(ctx, gridRows);
                rows.AddRange(gridRows);
            }
            if (r.GetValue(spectra))
            {
                var spectraRows = Spectra(ctx, ms, bks[0]);
                PrintSpectra(ctx, spectraRows);
                rows.AddRange(spectraRows);
            }
            ctx.Cancel.ThrowIfCancellationRequested(); // an interrupt writes no --out
            if (r.GetValue(outJson) is string path)
                Analytic.IO.AtomicFile.WriteAllText(path, string.Join("\n", rows.Select(JsonOut.Serialize).Select(s => s.ReplaceLineEndings(" "))) + "\n");
            return 0;
        });
        return cmd;
    }

    private static Dictionary<string, object?> Measure(ILinearAlgebraProvider la, string dt, int m, int reps, double peak, CancellationToken cancel)
    {
        int n = m << m, d = (m + 1) << m, c = (1 << m) - 1;
        double flops = 4.0 * n * d * c;
        double stepS;
        if (la is Gpu.IlgpuProvider gpu)
        {
            // the ILGPU backends train with everything resident on the device (float32 only): one GD run
            using var trainer = new Gpu.DeviceSoftmaxTrainer(gpu, Problems.HtRandomInputsSingle(m), Problems.HtRandomLabels(m), n, d, c, [new OptimizerSettings("gd", 0.1)]);
            stepS = Median(() => trainer.Step(), reps, cancel);
            return Row(la, dt, m, n, d, c, stepS, flops, peak, cancel);
        }
        if (dt == "float32")
        {
            // float32 data straight from the generator: at m = 11 the float64 copy alone would be 4.4 GB; the fused float32 GD stepper
            var step = new FusedSoftmaxGdStepper<float>(Problems.HtRandomInputsSingle(m), Problems.HtRandomLabels(m), n, d, c, la, [0.1]);
            stepS = Median(() => step.Step(), reps, cancel);
            return Row(la, dt, m, n, d, c, stepS, flops, peak, cancel);
        }
        var p = Problems.HtRandom(m, seed: 0);
        // float64: the stepper the recipes and `train` use (one pass for loss and ∇L, then the optimizer's update)
        var stepModel = new SoftmaxCrossEntropyModel(p.Data, la);
        var stepD = new LinearModelStepper(stepModel, new GradientDescent(0.1), p.Groups);
        bool[] on = [true];
        stepS = Median(() => { stepD.Evaluate(false, true); stepD.Update(on); }, reps, cancel);
        var row = Row(la, dt, m, n, d, c, stepS, flops, peak, cancel);
        {
            var model = new SoftmaxCrossEntropyModel(p.Data, la);
            var w = new double[d * c]; new SeededRandom(1).FillGaussian(w, 0.01);
            var g = new double[d * c]; var diag = new double[d * c]; var traces = new double[c];
            double grad = Median(() => model.LossAndGradient(w, g), reps, cancel);
            double tr = Median(() => model.Curvature(w, null, traces), reps, cancel);
            double dg = Median(() => model.Curvature(w, diag, null), reps, cancel);
            row["gradient_s"] = grad; row["block_traces_s"] = tr; row["hessian_diag_s"] = dg;
            row["block_traces_over_gradient"] = tr / grad; row["hessian_diag_over_gradient"] = dg / grad;
        }
        row["peak_working_set_mb"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        return row;
    }

    private static Dictionary<string, object?> Row(ILinearAlgebraProvider la, string dt, int m, int n, int d, int c, double stepS, double flops, double peak, CancellationToken cancel) => new()
    {
        ["backend"] = la.Name, ["blas_core"] = (la as NativeBlasProvider)?.CoreName, ["dtype"] = dt, ["m"] = m, ["n"] = n, ["d"] = d, ["c"] = c,
        ["step_s"] = stepS, ["gflops"] = flops / stepS / 1e9, ["gemm_peak_gflops"] = peak, ["fraction_of_gemm_peak"] = flops / stepS / 1e9 / peak,
        // the CPU's FMA throughput: meaningless for a device backend
        ["machine_peak_gflops"] = la is Gpu.IlgpuProvider ? null : MachinePeak(dt, cancel),
        ["fraction_of_machine_peak"] = la is Gpu.IlgpuProvider ? null : flops / stepS / 1e9 / MachinePeak(dt, cancel),
        // the process's peak so far: sizes run in increasing order, so each row's value is the peak up to that size
        ["peak_working_set_mb"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0,
    };

    /// <summary>
    /// Median time of <paramref name="a"/> after 2 warm-ups over at least <paramref name="reps"/> runs, more for short
    /// actions (until ≈ 1 s has been timed, at most 200 runs): a 3 ms step timed 5 times is at the mercy of one hiccup.
    /// </summary>
    private static double Median(Action a, int reps, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested(); a();
        cancel.ThrowIfCancellationRequested(); a();
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

    private static readonly Dictionary<string, double> MachinePeaks = new();

    /// <summary>
    /// The CPU's FMA throughput in GFLOP/s for the dtype, measured once per process (the denominator of "% machine"): every
    /// core runs 12 independent chains a ← a·x + y on the widest accelerated vector (12 chains hide a 4-cycle FMA latency
    /// on two pipes), 2 flops per lane per FMA; the best of 3 rounds of 4·10⁶ iterations.
    /// </summary>
    private static double MachinePeak(string dt, CancellationToken cancel)
    {
        lock (MachinePeaks)
        {
            if (MachinePeaks.TryGetValue(dt, out var known)) return known;
            bool single = dt == "float32";
            int lanes = (Vector512.IsHardwareAccelerated ? 64 : 32) / (single ? 4 : 8);
            const long iterations = 4_000_000;
            int threads = Environment.ProcessorCount;
            double best = 0, sink = 0;
            for (int round = 0; round < 3; round++)
            {
                cancel.ThrowIfCancellationRequested(); // a round is ≈ 10 ms; an interrupted probe is not cached
                var sums = new double[threads];
                var sw = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => sums[t] = FmaChains(single, iterations));
                best = Math.Max(best, threads * iterations * 12.0 * lanes * 2 / sw.Elapsed.TotalSeconds / 1e9);
                sink += sums.Sum();
            }
            if (double.IsNaN(sink)) best = double.NaN; // keeps the chains' results alive
            return MachinePeaks[dt] = best;
        }
    }

    /// <summary>One FMA vector type: a·x + y, a + b and the sum of the lanes (lets one chain loop serve every width and dtype).</summary>
    private interface IFmaVector<TV>
    {
        static abstract TV Fma(TV a, TV x, TV y);
        static abstract TV Add(TV a, TV b);
        static abstract double Sum(TV a);
    }

    private readonly struct Fma512F : IFmaVector<Vector512<float>>
    {
        public static Vector512<float> Fma(Vector512<float> a, Vector512<float> x, Vector512<float> y) => Vector512.FusedMultiplyAdd(a, x, y);
        public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
        public static double Sum(Vector512<float> a) => Vector512.Sum(a);
    }

    private readonly struct Fma256F : IFmaVector<Vector256<float>>
    {
        public static Vector256<float> Fma(Vector256<float> a, Vector256<float> x, Vector256<float> y) => Vector256.FusedMultiplyAdd(a, x, y);
        public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
        public static double Sum(Vector256<float> a) => Vector256.Sum(a);
    }

    private readonly struct Fma512D : IFmaVector<Vector512<double>>
    {
        public static Vector512<double> Fma(Vector512<double> a, Vector512<double> x, Vector512<double> y) => Vector512.FusedMultiplyAdd(a, x, y);
        public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
        public static double Sum(Vector512<double> a) => Vector512.Sum(a);
    }

    private readonly struct Fma256D : IFmaVector<Vector256<double>>
    {
        public static Vector256<double> Fma(Vector256<double> a, Vector256<double> x, Vector256<double> y) => Vector256.FusedMultiplyAdd(a, x, y);
        public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
        public static double Sum(Vector256<double> a) => Vector256.Sum(a);
    }

    /// <summary>12 independent chains a ← a·x + y, <paramref name="iterations"/> FMAs each; the lanes' sum keeps them alive.</summary>
    private static double FmaChains<TV, TOps>(TV x, TV y, long iterations) where TOps : IFmaVector<TV>
    {
        TV a0 = y, a1 = y, a2 = y, a3 = y, a4 = y, a5 = y, a6 = y, a7 = y, a8 = y, a9 = y, a10 = y, a11 = y;
        for (long i = 0; i < iterations; i++)
        {
            a0 = TOps.Fma(a0, x, y); a1 = TOps.Fma(a1, x, y); a2 = TOps.Fma(a2, x, y); a3 = TOps.Fma(a3, x, y);
            a4 = TOps.Fma(a4, x, y); a5 = TOps.Fma(a5, x, y); a6 = TOps.Fma(a6, x, y); a7 = TOps.Fma(a7, x, y);
            a8 = TOps.Fma(a8, x, y); a9 = TOps.Fma(a9, x, y); a10 = TOps.Fma(a10, x, y); a11 = TOps.Fma(a11, x, y);
        }
        var s = TOps.Add(TOps.Add(TOps.Add(a0, a1), TOps.Add(a2, a3)), TOps.Add(TOps.Add(a4, a5), TOps.Add(a6, a7)));
        return TOps.Sum(TOps.Add(s, TOps.Add(TOps.Add(a8, a9), TOps.Add(a10, a11))));
    }

    /// <summary>The chains on the widest accelerated vector of the dtype.</summary>
    private static double FmaChains(bool single, long iterations) => (single, Vector512.IsHardwareAccelerated) switch
    {
        (true, true) => FmaChains<Vector512<float>, Fma512F>(Vector512.Create(0.999999f), Vector512.Create(1e-6f), iterations),
        (true, false) => FmaChains<Vector256<float>, Fma256F>(Vector256.Create(0.999999f), Vector256.Create(1e-6f), iterations),
        (false, true) => FmaChains<Vector512<double>, Fma512D>(Vector512.Create(0.999999), Vector512.Create(1e-6), iterations),
        (false, false) => FmaChains<Vector256<double>, Fma256D>(Vector256.Create(0.999999), Vector256.Create(1e-6), iterations),
    };

    /// <summary>GFLOP/s of a 2048³ GEMM on this backend and dtype (the "measured peak").</summary>
    private static double GemmPeak(ILinearAlgebraProvider la, string dt, CancellationToken cancel)
    {
        // on the device, with the operands resident (the ILGPU CPU accelerator's kernel is slow: a smaller size)
        if (la is Gpu.IlgpuProvider gpu) return gpu.MeasureGemmGflops(gpu.IsCuda ? 4096 : 256, 3);
        const int s = 2048;
        double flops = 2.0 * s * s * s;
        if (dt == "float32")
        {
            var a = new float[s * s]; var b = new float[s * s]; var c = new float[s * s];
            for (int i = 0; i < a.Length; i++) { a[i] = (i % 7) * 0.1f; b[i] = (i % 5) * 0.1f; }
            return flops / Median(() => la.Gemm(false, false, s, s, s, 1f, a, s, b, s, 0f, c, s), 3, cancel) / 1e9;
        }
        var ad = new double[s * s]; var bd = new double[s * s]; var cd = new double[s * s];
        for (int i = 0; i < ad.Length; i++) { ad[i] = (i % 7) * 0.1; bd[i] = (i % 5) * 0.1; }
        return flops / Median(() => la.Gemm(false, false, s, s, s, 1.0, ad, s, bd, s, 0.0, cd, s), 3, cancel) / 1e9;
    }

    /// <summary>The peers per size, timing as many steps as we do (≈ 1 s worth for small sizes, 7 for the large ones).</summary>
    private static List<JsonElement> RunPeers(CliContext ctx, int[] ms, string[] dts) =>
        ms.SelectMany(m => RunPython(ctx, "bench/peers.py", ["step", "--m", m.ToString(), "--dtypes", string.Join(',', dts),
            "--impls", "torch_autograd,torch_manual,numpy_manual", "--steps", (m <= 7 ? 101 : 7).ToString()])).ToList();

    /// <summary>Runs a peer script (path relative to the repository root) and returns its JSON lines; [] with a message when it cannot run.</summary>
    private static List<JsonElement> RunPython(CliContext ctx, string relative, string[] args)
    {
        string? script = new[] { Path.Combine(AppContext.BaseDirectory, "../../../../..", relative), relative }
            .Select(Path.GetFullPath).FirstOrDefault(File.Exists);
        if (script == null || !File.Exists("/usr/bin/python3"))
        {
            ctx.Err.WriteLine($"PyTorch/NumPy column skipped: {relative} or /usr/bin/python3 not found (run bench/setup.sh).");
            return [];
        }
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(script)! };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("OPENBLAS_CORETYPE");   // the peers at their best: OpenBLAS picks its own kernels for this CPU
        psi.Environment.Remove("OPENBLAS_L2_SIZE");
        ctx.Cancel.ThrowIfCancellationRequested();
        using var proc = Process.Start(psi)!;
        // an interrupt kills the peer (and whatever it started) instead of waiting for its timings
        using (ctx.Cancel.Register(() => { try { proc.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
        {
            var errTask = proc.StandardError.ReadToEndAsync();
            string output = proc.StandardOutput.ReadToEnd();
            string err = errTask.Result;
            proc.WaitForExit();
            ctx.Cancel.ThrowIfCancellationRequested();
            return Parse(output, err);
        }

        List<JsonElement> Parse(string output, string err)
        {
            if (proc.ExitCode != 0)
            {
                ctx.Err.WriteLine($"PyTorch/NumPy column skipped: {Path.GetFileName(script)} failed ({err.Split('\n').FirstOrDefault(l => l.Contains("Error")) ?? "exit " + proc.ExitCode}); run bench/setup.sh.");
                return [];
            }
            return output.Split('\n').Where(l => l.StartsWith("{\"m\"")).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        }
    }

    /// <summary>
    /// R GD runs × <paramref name="steps"/> steps with step sizes 10^(−6 + 7k/(R−1)) on HT-Random(m): as one batched run
    /// (float64: <see cref="BatchedLinearStepper"/>, as the grid command trains on the primal path; float32:
    /// <see cref="FusedSoftmaxGdStepper{T}"/>; in both precisions also <see cref="GramStepper"/>, the grid's Gram-matrix path;
    /// W is d × R·c) through <see cref="TrainingLoop"/>,
    /// and one after another, here and in the peers.
    /// </summary>
    private static List<Dictionary<string, object?>> Grid(CliContext ctx, int[] ms, string[] dts, string[] bks, int runs, int steps, bool noPeers)
    {
        var peerRows = noPeers ? [] : RunPython(ctx, "bench/peers.py", ["grid", "--m", string.Join(',', ms), "--dtypes", string.Join(',', dts), "--runs", runs.ToString(), "--steps", steps.ToString()]);
        var rows = new List<Dictionary<string, object?>>();
        var lrs = Enumerable.Range(0, runs).Select(k => Math.Pow(10, -6 + 7.0 * k / Math.Max(1, runs - 1))).ToArray();
        var schedule = new TrainingSchedule(steps, steps);
        foreach (var bk in bks)
        {
            ComputeContext compute;
            try { compute = HeavyTailCli.Backends.Open(bk, ctx.Threads); } catch (ArgumentException) { continue; }
            using var _ = compute;
            var la = compute.LinearAlgebra;
            foreach (var dt in dts)
                foreach (int m in ms)
                {
                    ctx.Cancel.ThrowIfCancellationRequested();
                    int n = m << m, d = (m + 1) << m, c = (1 << m) - 1;
                    if (la is Gpu.IlgpuProvider && dt != "float32") continue;
                    // float32 data straight from the generator (equal to the rounded float64 inputs), as in Measure
                    var y = Problems.HtRandomLabels(m);
                    double batched, sequential, gram = double.NaN;
                    if (la is Gpu.IlgpuProvider gpu)
                    {
                        var x = Problems.HtRandomInputsSingle(m);
                        var gridRuns = lrs.Select(v => new OptimizerSettings("gd", v)).ToArray();
                        batched = Time(() => { using var s = new Gpu.DeviceSoftmaxTrainer(gpu, x, y, n, d, c, gridRuns); TrainingLoop.Run(s, schedule, cancel: ctx.Cancel); }, ctx.Cancel);
                        sequential = Time(() => { foreach (var run in gridRuns) { using var s = new Gpu.DeviceSoftmaxTrainer(gpu, x, y, n, d, c, [run]); TrainingLoop.Run(s, schedule, cancel: ctx.Cancel); } }, ctx.Cancel);
                    }
                    else if (dt == "float32")
                    {
                        var x = Problems.HtRandomInputsSingle(m);
                        batched = Time(() => TrainingLoop.Run(new FusedSoftmaxGdStepper<float>(x, y, n, d, c, la, lrs), schedule, cancel: ctx.Cancel), ctx.Cancel);
                        sequential = Time(() => { foreach (var lr in lrs) TrainingLoop.Run(new FusedSoftmaxGdStepper<float>(x, y, n, d, c, la, [lr]), schedule, cancel: ctx.Cancel); }, ctx.Cancel);
                        // the Gram-matrix path in float32 as `grid --dtype float32` trains it (float32 GEMMs and cross-entropy
                        // passes through the float32 provider, A and Z float64); the wrapper is not disposed: it would dispose la
                        var p = Problems.HtRandom(m, seed: 0);
                        var model = new SoftmaxCrossEntropyModel(p.Data, new SinglePrecisionProvider(la));
                        gram = Time(() => TrainingLoop.Run(new GramStepper(model, lrs.Select(lr => new OptimizerSettings("gd", lr)).ToList(), p.Groups), schedule, cancel: ctx.Cancel), ctx.Cancel);
                    }
                    else
                    {
                        var p = Problems.HtRandom(m, seed: 0);
                        var model = new SoftmaxCrossEntropyModel(p.Data, la);
                        batched = Time(() => TrainingLoop.Run(new BatchedLinearStepper(model, lrs.Select(lr => (Optimizer)new GradientDescent(lr)).ToList(), p.Groups), schedule, cancel: ctx.Cancel), ctx.Cancel);
                        sequential = Time(() => { foreach (var lr in lrs) TrainingLoop.Run(new LinearModelStepper(model, new GradientDescent(lr), p.Groups), schedule, cancel: ctx.Cancel); }, ctx.Cancel);
                        // the Gram-matrix path (K = XXᵀ formed inside the timing), batched as the grid command trains it
                        gram = Time(() => TrainingLoop.Run(new GramStepper(model, lrs.Select(lr => new OptimizerSettings("gd", lr)).ToList(), p.Groups), schedule, cancel: ctx.Cancel), ctx.Cancel);
                    }
                    var row = new Dictionary<string, object?>
                    {
                        ["kind"] = "grid", ["backend"] = la.Name, ["dtype"] = dt, ["m"] = m, ["runs"] = runs, ["steps"] = steps,
                        ["batched_s"] = batched, ["sequential_s"] = sequential,
                    };
                    if (double.IsFinite(gram)) row["gram_batched_s"] = gram;
                    foreach (var impl in new[] { "torch_manual", "numpy_manual" })
                    {
                        var peer = peerRows.FirstOrDefault(q => q.GetProperty("m").GetInt32() == m && q.GetProperty("dtype").GetString() == dt && q.GetProperty("impl").GetString() == impl);
                        if (peer.ValueKind == JsonValueKind.Object) row[impl + "_s"] = peer.GetProperty("total_s").GetDouble();
                    }
                    rows.Add(row);
                    if (!ctx.Quiet) ctx.Err.WriteLine($"  grid {la.Name} {dt} m={m}: batched {batched:G4} s, sequential {sequential:G4} s{(double.IsFinite(gram) ? $", Gram batched {gram:G4} s" : "")}");
                }
        }
        return rows;
    }

    private static double Time(Action a, CancellationToken cancel) { cancel.ThrowIfCancellationRequested(); var sw = Stopwatch.StartNew(); a(); return sw.Elapsed.TotalSeconds; }

    /// <summary>
    /// Hessian spectra on HT-Random(m) at W = 0 (every eigenvalue c − 1 times) and at the bench's W ~ N(0, 0.01²) (float64): the top-1 and top-5 eigenvalues (block Lanczos to
    /// residual 1e-10·λ_1, and to 1e-3·λ_1, the relative tolerance PyHessian's power iteration stops at) and the SLQ density (4 runs × 30 steps), each timed once (they take seconds to minutes), with their HVP
    /// counts. Cost model of PyHessian: an HVP by double back-propagation costs ≈ 2 gradients, so PyHessian needs 2·HVPs gradient-times
    /// for the same count; ours is measured (an HVP here is the two GEMMs of a gradient at a fixed W, see LinearModel.HessianOperator).
    /// </summary>
    private static List<Dictionary<string, object?>> Spectra(CliContext ctx, int[] ms, string backend)
    {
        var rows = new List<Dictionary<string, object?>>();
        ComputeContext compute;
        try { compute = HeavyTailCli.Backends.Open(backend, ctx.Threads); }
        catch (ArgumentException e) { ctx.Err.WriteLine($"spectra skipped: {UserError.OneLine(e)}"); return rows; }
        using var _ = compute;
        foreach (int m in ms)
        {
            var p = Problems.HtRandom(m, seed: 0);
            var model = new SoftmaxCrossEntropyModel(p.Data, compute.LinearAlgebra);
            foreach (var (state, scale) in new[] { ("W = 0", 0.0), ("W ~ N(0, 0.01²)", 0.01) })
            {
                var w = new double[model.ParameterCount]; new SeededRandom(1).FillGaussian(w, scale);
                var g = new double[w.Length];
                double grad = Median(() => model.LossAndGradient(w, g), 5, ctx.Cancel);
                var op = model.HessianOperator(w);
                var v = new double[w.Length]; new SeededRandom(2).FillGaussian(v); var hv = new double[w.Length];
                double hvp = Median(() => op(v, hv), 5, ctx.Cancel);
                var row = new Dictionary<string, object?> { ["kind"] = "spectra", ["backend"] = compute.LinearAlgebra.Name, ["dtype"] = "float64", ["m"] = m, ["state"] = state, ["gradient_s"] = grad, ["hvp_s"] = hvp };
                void Add(string name, Func<int> run)
                {
                    var sw = Stopwatch.StartNew();
                    int hvps = run();
                    double sec = sw.Elapsed.TotalSeconds;
                    row[name + "_hvps"] = hvps; row[name + "_s"] = sec;
                    row[name + "_in_gradients"] = sec / grad;
                    row[name + "_pyhessian_gradients"] = 2.0 * hvps;
                    if (!ctx.Quiet) ctx.Err.WriteLine($"  spectra m={m} {state} {name}: {hvps} HVPs, {sec:G4} s");
                }
                foreach (var (tag, tol) in new[] { ("", Lanczos.DefaultTolerance), ("_tol1e-3", 1e-3) })
                {
                    Add("top1" + tag, () => { var t = HessianSpectra.Top(model, w, 1, tolerance: tol, cancel: ctx.Cancel); row["top1" + tag + "_converged"] = t.Converged; row["lambda_1" + tag] = t.Values[0]; return t.MatVecs; });
                    Add("top5" + tag, () => { var t = HessianSpectra.Top(model, w, 5, tolerance: tol, cancel: ctx.Cancel); row["top5" + tag + "_converged"] = t.Converged; row["lambda_5" + tag] = t.Values[4]; return t.MatVecs; });
                }
                Add("density", () => HessianSpectra.Density(model, w, HessianSpectra.DefaultDensityRuns, HessianSpectra.DefaultLanczosSteps, cancel: ctx.Cancel).MatVecs);
                rows.Add(row);
            }
        }
        return rows;
    }

    private static void PrintSpectra(CliContext ctx, List<Dictionary<string, object?>> rows)
    {
        var t = new Table();
        // per task: HVPs, seconds, our cost in gradient-times, PyHessian's for the same HVP count (2 gradients per HVP)
        foreach (var h in new[] { "m", "W", "task", "HVPs", "seconds", "ours (gradients)", "PyHessian (gradients)", "converged" })
            t.AddColumn(new TableColumn(h).RightAligned());
        string F(object? v) => v switch { double d => d.ToString("G4"), int i => i.ToString(), bool b => b ? "yes" : "NO", _ => "–" };
        foreach (var r in rows)
            foreach (var (task, label) in new[] { ("top1", "top-1, tol 1e-10"), ("top5", "top-5, tol 1e-10"), ("top1_tol1e-3", "top-1, tol 1e-3"), ("top5_tol1e-3", "top-5, tol 1e-3"), ("density", "SLQ density 4×30") })
                t.AddRow(F(r["m"]), Markup.Escape(r["state"]!.ToString()!), label, F(r[task + "_hvps"]), F(r[task + "_s"]), F(r[task + "_in_gradients"]), F(r[task + "_pyhessian_gradients"]), F(r.GetValueOrDefault(task + "_converged")));
        ctx.Console.Write(t);
        if (rows.Count > 0) ctx.Console.WriteLine($"gradient {F(rows[^1]["gradient_s"])} s, HVP {F(rows[^1]["hvp_s"])} s at m = {rows[^1]["m"]}");
    }

    private static void PrintGrid(CliContext ctx, List<Dictionary<string, object?>> rows)
    {
        var t = new Table();
        foreach (var h in new[] { "backend", "dtype", "m", "runs × steps", "batched s", "Gram batched s", "one after another s", "PyTorch s", "NumPy s", "PyTorch / batched", "PyTorch / Gram" })
            t.AddColumn(new TableColumn(h).RightAligned());
        string F(object? v) => v is double d ? d.ToString("G4") : "–";
        foreach (var r in rows)
        {
            double? torch = r.GetValueOrDefault("torch_manual_s") as double?;
            t.AddRow(r["backend"]!.ToString()!, r["dtype"]!.ToString()!, r["m"]!.ToString()!, $"{r["runs"]} × {r["steps"]}", F(r["batched_s"]), F(r.GetValueOrDefault("gram_batched_s")), F(r["sequential_s"]),
                F(r.GetValueOrDefault("torch_manual_s")), F(r.GetValueOrDefault("numpy_manual_s")), torch is double tv ? (tv / (double)r["batched_s"]!).ToString("F2") : "–",
                torch is double tg && r.GetValueOrDefault("gram_batched_s") is double g ? (tg / g).ToString("F2") : "–");
        }
        ctx.Console.Write(t);
    }

    private static void Print(CliContext ctx, List<Dictionary<string, object?>> rows)
    {
        var t = new Table();
        // short headers so the table fits 120 columns: ÷ = our step time divided by theirs
        foreach (var h in new[] { "backend", "dtype", "m", "step s", "GFLOP/s", "% GEMM", "% machine", "PyTorch s", "÷ PyTorch", "best peer", "peer s", "÷ peer", "traces/grad", "diag/grad", "peak MB" })
            t.AddColumn(new TableColumn(h).RightAligned());
        string F(object? v, string fmt) => v is double d ? d.ToString(fmt) : "–";
        foreach (var r in rows)
            t.AddRow(r["backend"]!.ToString()!, r["dtype"]!.ToString()!, r["m"]!.ToString()!, F(r["step_s"], "G4"), F(r["gflops"], "F1"),
                F((double)r["fraction_of_gemm_peak"]! * 100, "F0"), F(r.GetValueOrDefault("fraction_of_machine_peak") is double fm ? fm * 100 : null, "F0"), F(r.GetValueOrDefault("torch_step_s"), "G4"), F(r.GetValueOrDefault("ratio_to_torch"), "F2"), Markup.Escape(r.GetValueOrDefault("peer")?.ToString()?.Split('_')[0] ?? "–"), F(r.GetValueOrDefault("peer_step_s"), "G4"), F(r.GetValueOrDefault("ratio_to_peer"), "F2"),
                F(r.GetValueOrDefault("block_traces_over_gradient"), "F2"), F(r.GetValueOrDefault("hessian_diag_over_gradient"), "F2"), F(r["peak_working_set_mb"], "F0"));
        ctx.Console.Write(t);
        lock (MachinePeaks)
            if (MachinePeaks.Count > 0)
                ctx.Console.WriteLine("% GEMM: of our 2048³ GEMM on the same backend; % machine: of the CPU's FMA throughput measured here (" +
                    string.Join(", ", MachinePeaks.Select(kv => $"{kv.Key} {kv.Value:F0} GFLOP/s")) + $", {Environment.ProcessorCount} cores)");
    }
}
