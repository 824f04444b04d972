using System.Globalization;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `reproduce --dry-run`: the runs a reproduce would train at a scale (<see cref="ReproducePlan"/>), their FLOPs and the
/// wall time they would take here, on one GPU and as SLURM shards; trains nothing and writes nothing.
/// </summary>
public static class ReproduceDryRun
{
    /// <summary>Assumed, not measured: one H200's float32 rate, ≈ 50 TFLOP/s nominal for GEMMs of this shape.</summary>
    public const double GpuNominalFlops = 50e12;

    /// <summary>Assumed, not measured: the fraction of <see cref="GpuNominalFlops"/> a full-batch run sustains (softmax passes, launches, transfers).</summary>
    public const double GpuSustainedFraction = 0.4;

    /// <summary>Fraction of a grid's runs that are its coarse step sizes (the part `grid --shard k/N` splits).</summary>
    private static double CoarseShare => (double)Runs.GridSearch.Coarse().Length / ReproducePlan.GridStepSizes;

    private const int ProbeN = 512, ProbeD = 512, ProbeC = 128, ProbeRepeats = 3;

    /// <summary>
    /// FLOP/s of the backend on one softmax step's two GEMM layouts (Z = X·W, G = Xᵀ·Z) at n = 512, d = 512, c = 128
    /// (2·(2·n·d·c) ≈ 0.13 GFLOP), the median of 3 after a warm-up: well under a second on 2 cores.
    /// </summary>
    public static double MeasureGemmRate(ILinearAlgebraProvider p)
    {
        var x = new double[ProbeN * ProbeD]; var w = new double[ProbeD * ProbeC]; var z = new double[ProbeN * ProbeC]; var g = new double[ProbeD * ProbeC];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 13) * 0.07;
        for (int i = 0; i < w.Length; i++) w[i] = (i % 7) * 0.01;
        void Step()
        {
            p.Gemm(false, false, ProbeN, ProbeC, ProbeD, 1.0, x, ProbeD, w, ProbeC, 0.0, z, ProbeC);
            p.Gemm(true, false, ProbeD, ProbeC, ProbeN, 1.0, x, ProbeD, z, ProbeC, 0.0, g, ProbeC);
        }
        Step();
        var seconds = new double[ProbeRepeats];
        for (int r = 0; r < ProbeRepeats; r++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            Step();
            seconds[r] = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        Array.Sort(seconds);
        return 2.0 * (2.0 * ProbeN * ProbeD * ProbeC) / Math.Max(seconds[ProbeRepeats / 2], 1e-9);
    }

    public static int Run(CliContext ctx, Scale scale, int shards)
    {
        if (shards < 1) throw new Runs.UserError($"--shards {shards} must be at least 1.");
        var plan = ReproducePlan.For(scale);
        double rate = MeasureGemmRate(ctx.Compute.LinearAlgebra);
        var header = new[] { "recipe", "problem", "n×d×c", "optimizer", "what", "runs = step sizes × seeds × steps", "FLOP/run", "FLOP" };
        var rows = plan.Select(r =>
        {
            var (n, d, c) = r.Sizes;
            return new[]
            {
                r.Recipe, Problem(r.Problem), $"{n}×{d}×{c}", r.Optimizer, r.What,
                $"{r.Runs} = {r.StepSizes} × {r.Seeds} × {r.Steps} steps", Flops(r.FlopsPerRun), r.CachedBy != null ? $"0 (cached: {r.CachedBy})" : Flops(r.Flops),
            };
        }).ToList();
        double total = plan.Sum(r => r.Flops);
        rows.Add(["total", "", "", "", "", $"{plan.Where(r => r.CachedBy == null).Sum(r => r.Runs)} runs trained", "", Flops(total)]);
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((s, i) => i >= 6 ? s.PadLeft(widths[i]) : s.PadRight(widths[i]))).TrimEnd();
        var o = ctx.Out;
        o.WriteLine($"reproduce --scale {scale.ToString().ToLowerInvariant()}: the runs it would train (nothing is trained or written)");
        o.WriteLine(Line(header));
        o.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var r in rows.Take(rows.Count - 1)) o.WriteLine(Line(r));
        o.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        o.WriteLine(Line(rows[^1]));
        o.WriteLine("FLOP per step = 2·(2·n·d·c) (forward and backward GEMMs) + 5·n·c (softmax) + 10·d·c (optimizer); one-hot inputs skip the GEMMs.");
        o.WriteLine($"Grids count {ReproducePlan.GridStepSizes} step sizes per seed (8 powers of ten + 2 half-powers); the stability ladder may add a few. " +
                    "Not counted: flows/rates ODE solves, observer passes, hessian-spectrum's Lanczos, TorchSharp recipes.");
        double fixedPart = plan.Sum(r => r.What == "grid" ? r.Flops * (1 - CoarseShare) : r.Flops), shardable = total - fixedPart;
        double gpu = GpuNominalFlops * GpuSustainedFraction;
        o.WriteLine();
        o.WriteLine($"estimated wall time (FLOP ÷ rate):");
        o.WriteLine($"  (a) this machine, backend {ctx.Compute.Backend}: {Duration(total / rate)} at {Flops(rate)}/s " +
                    $"(measured now: GEMM {ProbeN}×{ProbeD}×{ProbeC} float64, median of {ProbeRepeats}; large problems may run faster, the row passes slower)");
        o.WriteLine($"  (b) one GPU: {Duration(total / gpu)} at an ASSUMED {Flops(gpu)}/s sustained (H200 float32 ≈ {Flops(GpuNominalFlops)}/s nominal × {GpuSustainedFraction:P0}; not measured)");
        o.WriteLine($"  (c) {shards} SLURM array tasks like this machine (--shards {shards}): {Duration((shardable / shards + fixedPart) / rate)} " +
                    $"(the coarse grids split {shards} ways with `grid --shard k/{shards}`; refinement and observed runs after the merge, on one task)");
        return 0;
    }

    private static string Problem(Analytic.Data.ProblemOptions p) => p.Name switch
    {
        "ht-random" => $"ht-random m={p.M}" + (p.Inputs != "uniform" ? $" {p.Inputs}" : "") + (p.RotateSeed is long rs ? $" rotated({rs})" : ""),
        "ht-identity" => $"ht-identity k={p.K}",
        "one-hot" => $"one-hot a={p.ZipfExponent.ToString("G3", CultureInfo.InvariantCulture)}",
        "bigram" => $"bigram d={p.Vocab ?? 64} a={p.ZipfExponent.ToString("G3", CultureInfo.InvariantCulture)}",
        _ => p.Name,
    };

    /// <summary>A FLOP count with an SI prefix, 3 significant digits: "1.23 TFLOP".</summary>
    public static string Flops(double v)
    {
        string[] prefix = ["", "k", "M", "G", "T", "P", "E"];
        int e = v <= 0 ? 0 : Math.Clamp((int)Math.Floor(Math.Log10(v) / 3), 0, prefix.Length - 1);
        return (v / Math.Pow(1000, e)).ToString(v / Math.Pow(1000, e) >= 100 ? "F0" : v / Math.Pow(1000, e) >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture) + $" {prefix[e]}FLOP";
    }

    public static string Duration(double seconds)
    {
        var (value, unit) = seconds < 60 ? (seconds, "s") : seconds < 3600 ? (seconds / 60, "min") : seconds < 48 * 3600 ? (seconds / 3600, "h") : (seconds / 86400, "days");
        return value.ToString("F1", CultureInfo.InvariantCulture) + " " + unit;
    }
}
