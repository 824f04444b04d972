using System.Diagnostics;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;
using HeavyTail.Gpu;

namespace HeavyTail.Experiments.Runs.Benchmarks;

/// <summary>Hessian spectra timed on HT-Random against PyHessian's cost model (the spectra rows of `bench --spectra`).</summary>
public static class SpectraBenchmark
{
    /// <summary>
    /// Hessian spectra on HT-Random(m) at W = 0 (every eigenvalue c − 1 times) and at the bench's W ~ N(0, 0.01²) (float64): the top-1 and top-5 eigenvalues (block Lanczos to
    /// residual 1e-10·λ_1, and to 1e-3·λ_1, the relative tolerance PyHessian's power iteration stops at) and the SLQ density (4 runs × 30 steps), each timed once (they take seconds to minutes), with their HVP
    /// counts. Cost model of PyHessian: an HVP by double back-propagation costs ≈ 2 gradients, so PyHessian needs 2·HVPs gradient-times
    /// for the same count; ours is measured (an HVP here is the two GEMMs of a gradient at a fixed W, see LinearModel.HessianOperator).
    /// </summary>
    public static List<Dictionary<string, object?>> Measure(string backend, int? threads, int[] ms, Action<string>? log, CancellationToken cancel)
    {
        var rows = new List<Dictionary<string, object?>>();
        ComputeContext compute;
        try { compute = IlgpuProvider.Catalog.Open(backend, threads); }
        catch (ArgumentException e) { log?.Invoke($"spectra skipped: {UserError.OneLine(e)}"); return rows; }
        using var _ = compute;
        foreach (int m in ms)
        {
            var p = Problems.HtRandom(m, seed: 0);
            var model = new SoftmaxCrossEntropyModel(p.Data, compute.LinearAlgebra);
            foreach (var (state, scale) in new[] { ("W = 0", 0.0), ("W ~ N(0, 0.01²)", 0.01) })
            {
                var w = new double[model.ParameterCount]; new SeededRandom(1).FillGaussian(w, scale);
                var g = new double[w.Length];
                double grad = Benchmark.Median(() => model.LossAndGradient(w, g), 5, cancel);
                var op = model.HessianOperator(w);
                var v = new double[w.Length]; new SeededRandom(2).FillGaussian(v); var hv = new double[w.Length];
                double hvp = Benchmark.Median(() => op(v, hv), 5, cancel);
                var row = new Dictionary<string, object?> { ["kind"] = "spectra", ["backend"] = compute.LinearAlgebra.Name, ["dtype"] = "float64", ["m"] = m, ["state"] = state, ["gradient_s"] = grad, ["hvp_s"] = hvp };
                void Add(string name, Func<int> run)
                {
                    var sw = Stopwatch.StartNew();
                    int hvps = run();
                    double sec = sw.Elapsed.TotalSeconds;
                    row[name + "_hvps"] = hvps; row[name + "_s"] = sec;
                    row[name + "_in_gradients"] = sec / grad;
                    row[name + "_pyhessian_gradients"] = 2.0 * hvps;
                    log?.Invoke($"  spectra m={m} {state} {name}: {hvps} HVPs, {sec:G4} s");
                }
                foreach (var (tag, tol) in new[] { ("", Lanczos.DefaultTolerance), ("_tol1e-3", 1e-3) })
                {
                    Add("top1" + tag, () => { var t = HessianSpectra.Top(model, w, 1, tolerance: tol, cancel: cancel); row["top1" + tag + "_converged"] = t.Converged; row["lambda_1" + tag] = t.Values[0]; return t.MatVecs; });
                    Add("top5" + tag, () => { var t = HessianSpectra.Top(model, w, 5, tolerance: tol, cancel: cancel); row["top5" + tag + "_converged"] = t.Converged; row["lambda_5" + tag] = t.Values[4]; return t.MatVecs; });
                }
                Add("density", () => HessianSpectra.Density(model, w, HessianSpectra.DefaultDensityRuns, HessianSpectra.DefaultLanczosSteps, cancel: cancel).MatVecs);
                rows.Add(row);
            }
        }
        return rows;
    }

}
