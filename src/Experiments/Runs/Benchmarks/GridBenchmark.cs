using System.Text.Json;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Gpu;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs.Benchmarks;

/// <summary>
/// R GD runs × 100 steps with step sizes 10^(−6 + 7k/(R−1)) on HT-Random(m): as one batched run (float64:
/// <see cref="BatchedLinearStepper"/>, as the grid command trains on the primal path; float32:
/// <see cref="FusedSoftmaxGdStepper{T}"/>; in both precisions also <see cref="GramStepper"/>, the grid's Gram-matrix path;
/// W is d × R·c) through <see cref="TrainingLoop"/>, and one after another, here and in the peers.
/// </summary>
public static class GridBenchmark
{
    private const int Steps = 100;

    /// <summary>The grid rows (kind "grid") per backend, precision and size of the request.</summary>
    public static List<Dictionary<string, object?>> Measure(BenchRequest request, int[] sizes, PythonPeers peers, Action<string>? log, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(peers);
        int runs = request.GridRuns;
        var dtypes = request.Precisions.Select(p => p.Name()).ToArray();
        var peerRows = request.Peers ? peers.Grid(sizes, dtypes, runs, Steps) : [];
        var lrs = Enumerable.Range(0, runs).Select(k => Math.Pow(10, -6 + 7.0 * k / Math.Max(1, runs - 1))).ToArray();
        var rows = new List<Dictionary<string, object?>>();
        foreach (var bk in request.Backends)
        {
            ComputeContext compute;
            try { compute = IlgpuProvider.Catalog.Open(bk, request.Threads); } catch (ArgumentException) { continue; }
            using var _ = compute;
            var la = compute.LinearAlgebra;
            foreach (var dt in request.Precisions)
                foreach (int m in sizes)
                {
                    cancel.ThrowIfCancellationRequested();
                    if (la is IlgpuProvider && dt != Precision.Float32) continue;
                    var (batched, sequential, gram) = Time(la, dt, m, lrs, cancel);
                    var row = new Dictionary<string, object?>
                    {
                        ["kind"] = "grid", ["backend"] = la.Name, ["dtype"] = dt.Name(), ["m"] = m, ["runs"] = runs, ["steps"] = Steps,
                        ["batched_s"] = batched, ["sequential_s"] = sequential,
                    };
                    if (double.IsFinite(gram)) row["gram_batched_s"] = gram;
                    foreach (var impl in new[] { "torch_manual", "numpy_manual" })
                    {
                        var peer = peerRows.FirstOrDefault(q => q.GetProperty("m").GetInt32() == m && q.GetProperty("dtype").GetString() == dt.Name() && q.GetProperty("impl").GetString() == impl);
                        if (peer.ValueKind == JsonValueKind.Object) row[impl + "_s"] = peer.GetProperty("total_s").GetDouble();
                    }
                    rows.Add(row);
                    log?.Invoke($"  grid {la.Name} {dt.Name()} m={m}: batched {batched:G4} s, sequential {sequential:G4} s{(double.IsFinite(gram) ? $", Gram batched {gram:G4} s" : "")}");
                }
        }
        return rows;
    }

    /// <summary>Seconds of the batched grid, the runs one after another, and the batched Gram path (NaN on a device).</summary>
    private static (double Batched, double Sequential, double Gram) Time(ILinearAlgebraProvider la, Precision dt, int m, double[] lrs, CancellationToken cancel)
    {
        int n = m << m, d = (m + 1) << m, c = (1 << m) - 1;
        var schedule = new TrainingSchedule(Steps, Steps);
        var y = Problems.HtRandomLabels(m);
        var gd = lrs.Select(v => new OptimizerSettings("gd", v)).ToArray();
        if (la is IlgpuProvider gpu)
        {
            var x = Problems.HtRandomInputsSingle(m);
            double b = Benchmark.Time(() => { using var s = new DeviceSoftmaxTrainer(gpu, x, y, n, d, c, gd); TrainingLoop.Run(s, schedule, cancel: cancel); }, cancel);
            double q = Benchmark.Time(() => { foreach (var run in gd) { using var s = new DeviceSoftmaxTrainer(gpu, x, y, n, d, c, [run]); TrainingLoop.Run(s, schedule, cancel: cancel); } }, cancel);
            return (b, q, double.NaN);
        }
        var p = Problems.HtRandom(m, seed: 0);
        if (dt == Precision.Float32)
        {
            // float32 data straight from the generator (equal to the rounded float64 inputs); the Gram path as `grid --dtype
            // float32` trains it (the wrapper is not disposed: it would dispose la)
            var x = Problems.HtRandomInputsSingle(m);
            double b = Benchmark.Time(() => TrainingLoop.Run(new FusedSoftmaxGdStepper<float>(x, y, n, d, c, la, lrs), schedule, cancel: cancel), cancel);
            double q = Benchmark.Time(() => { foreach (var lr in lrs) TrainingLoop.Run(new FusedSoftmaxGdStepper<float>(x, y, n, d, c, la, [lr]), schedule, cancel: cancel); }, cancel);
            var single = new SoftmaxCrossEntropyModel(p.Data, new SinglePrecisionProvider(la));
            double g = Benchmark.Time(() => TrainingLoop.Run(new GramStepper(single, gd, p.Groups), schedule, cancel: cancel), cancel);
            return (b, q, g);
        }
        var model = new SoftmaxCrossEntropyModel(p.Data, la);
        double batched = Benchmark.Time(() => TrainingLoop.Run(new BatchedLinearStepper(model, lrs.Select(lr => (Optimizer)new GradientDescent(lr)).ToList(), p.Groups), schedule, cancel: cancel), cancel);
        double sequential = Benchmark.Time(() => { foreach (var lr in lrs) TrainingLoop.Run(new LinearModelStepper(model, new GradientDescent(lr), p.Groups), schedule, cancel: cancel); }, cancel);
        // the Gram-matrix path (K = XXᵀ formed inside the timing), batched as the grid command trains it
        double gram = Benchmark.Time(() => TrainingLoop.Run(new GramStepper(model, gd, p.Groups), schedule, cancel: cancel), cancel);
        return (batched, sequential, gram);
    }
}
