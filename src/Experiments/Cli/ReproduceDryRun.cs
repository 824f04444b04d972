using System.Globalization;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `reproduce --dry-run`: prints the runs a reproduce would train at a scale (<see cref="ReproducePlan"/>), the path auto
/// takes for each and its wall time here (<see cref="ReproduceEstimate"/> at the rates of <see cref="PlanRates"/>), their
/// FLOPs, and the totals (<see cref="DryRunTotals"/>); trains nothing and writes nothing.
/// </summary>
public static class ReproduceDryRun
{
    /// <summary>Prints the plan of <paramref name="scale"/> with its estimates for <paramref name="shards"/> SLURM tasks.</summary>
    public static int Run(CliContext ctx, Scale scale, int shards)
    {
        if (shards < 1) throw new UserError($"--shards {shards} must be at least 1.");
        var plan = ReproducePlan.For(scale);
        var rates = PlanRates.LoadOrMeasure(ctx.Compute, cancel: ctx.Cancel);
        var estimates = ReproduceEstimate.For(plan, rates, MemoryCheck.AvailableBytes());
        var totals = DryRunTotals.Of(estimates, shards);
        var header = new[] { "recipe", "problem", "n×d×c", "optimizer", "what", "runs = step sizes × seeds × steps", "path", "time here", "FLOP/run", "FLOP" };
        var rows = estimates.Select(e =>
        {
            var r = e.Row;
            var (n, d, c) = r.Sizes;
            return new[]
            {
                r.Recipe, Problem(r.Problem), $"{n}×{d}×{c}", r.Optimizer, r.What, $"{r.Runs} = {r.StepSizes} × {r.Seeds} × {r.Steps} steps",
                r.CachedBy != null ? "–" : e.Path, r.CachedBy != null ? "0" : Duration(e.Seconds), Flops(r.FlopsPerRun), r.CachedBy != null ? $"0 (cached: {r.CachedBy})" : Flops(r.Flops),
            };
        }).ToList();
        rows.Add(["total", "", "", "", "", $"{plan.Where(r => r.CachedBy == null).Sum(r => r.Runs)} runs trained", "", Duration(totals.HereSeconds), "", Flops(totals.Flops)]);
        PrintTable(ctx.Out, scale, header, rows);
        Summary(ctx, rates, totals);
        return 0;
    }

    private static void PrintTable(TextWriter o, Scale scale, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((s, i) => i >= 7 ? s.PadLeft(widths[i]) : s.PadRight(widths[i]))).TrimEnd();
        o.WriteLine($"reproduce --scale {scale.ToString().ToLowerInvariant()}: the runs it would train (nothing is trained or written)");
        o.WriteLine(Line(header));
        o.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var r in rows.Take(rows.Count - 1)) o.WriteLine(Line(r));
        o.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        o.WriteLine(Line(rows[^1]));
    }

    private static void Summary(CliContext ctx, PlanRates rates, DryRunTotals totals)
    {
        var o = ctx.Out;
        o.WriteLine("FLOP per step = 2·(2·n·d·c) (forward and backward GEMMs) + 5·n·c (softmax) + 10·d·c (optimizer); one-hot inputs skip the GEMMs.");
        o.WriteLine($"Grids count {ReproducePlan.GridStepSizes} step sizes per seed (8 powers of ten + 2 half-powers); the stability ladder may add a few. " +
                    "Not counted: flows/rates ODE solves, observer passes, hessian-spectrum's Lanczos, TorchSharp recipes.");
        o.WriteLine($"path: what auto takes for the row's batches in {rates.Precision.Name()} (a grid: its coarse step sizes side by side, then the refinement pair; Gram forms K per batch).");
        o.WriteLine();
        o.WriteLine("estimated wall time:");
        o.WriteLine($"  (a) this machine, backend {ctx.Compute.Backend}, {rates.Precision.Name()}: {Duration(totals.HereSeconds)}, each row on its path at the rates of a probe " +
                    $"(HT-Random m = {PlanRates.ProbeM}, {PlanRates.ProbeRuns} GD runs; {rates.Source}): primal step {Flops(rates.PrimalFlops)}/s, Gram step {Flops(rates.GramStepFlops)}/s, " +
                    $"K = XXᵀ {Flops(rates.GramKFlops)}/s, data {rates.DataSecondsPerElement * 1e9:F2} ns per entry of X");
        o.WriteLine($"  (b) one GPU: {Duration(totals.GpuSeconds)} at an ASSUMED {Flops(DryRunTotals.GpuNominalFlops * DryRunTotals.GpuSustainedFraction)}/s sustained " +
                    $"(H200 float32 ≈ {Flops(DryRunTotals.GpuNominalFlops)}/s nominal × {DryRunTotals.GpuSustainedFraction:P0}; not measured)");
        o.WriteLine($"  (c) {totals.Shards} SLURM array tasks like this machine (--shards {totals.Shards}): {Duration(totals.ShardSeconds)} " +
                    $"(the coarse grids split {totals.Shards} ways with `grid --shard k/{totals.Shards}`; refinement and observed runs after the merge, on one task)");
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

    /// <summary>Seconds for people: s, min, h or days with one decimal.</summary>
    public static string Duration(double seconds)
    {
        var (value, unit) = seconds < 60 ? (seconds, "s") : seconds < 3600 ? (seconds / 60, "min") : seconds < 48 * 3600 ? (seconds / 3600, "h") : (seconds / 86400, "days");
        return value.ToString("F1", CultureInfo.InvariantCulture) + " " + unit;
    }
}
