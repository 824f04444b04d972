using System.Diagnostics;
using System.Globalization;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Recipes;

/// <summary>
/// What one backend in one precision does per second on the shapes of the two training paths, measured by a short probe at
/// a representative size (<see cref="ProbeM"/>: HT-Random m = 8, <see cref="ProbeRuns"/> GD runs side by side, on the
/// steppers training uses), for <see cref="ReproduceEstimate"/>: seconds per element of X generated and packed, FLOP/s of
/// a primal step (4·n·d·R·c), of a Gram step (2·n²·R·c per GEMM of K) and of K = XXᵀ (n²·d), and seconds per logit of a
/// one-hot step (no GEMM).
/// </summary>
/// <remarks>
/// Kept per machine in $XDG_CACHE_HOME/heavytail/plan-rates.tsv (or ~/.cache/heavytail), keyed by the CPU model, the
/// cores, the backend, its threads, the precision and the probe's version, like the backend probe's verdicts
/// (<see cref="BackendProbe"/>); the value is returned to the caller, which passes it down (nothing is kept in the process).
/// </remarks>
/// <param name="DataSecondsPerElement">generating X, per entry of n × d.</param>
/// <param name="PackSecondsPerElement">the primal path's first-use work on X (float32 copy, packed X and Xᵀ), per entry.</param>
/// <param name="PrimalFlops">FLOP/s of a primal step (loss, gradient and GD update), counted as 4·n·d·R·c.</param>
/// <param name="GramStepFlops">FLOP/s of a Gram step, counted as 2·n²·R·c per GEMM of K.</param>
/// <param name="GramKFlops">FLOP/s of forming K = XXᵀ by the symmetric rank-k update (and packing it), counted as n²·d.</param>
/// <param name="RowSecondsPerLogit">a step on identity inputs (one-hot, bigram: no GEMM), per logit of n × R·c.</param>
/// <param name="Source">"measured now" or "cached (file)".</param>
public sealed record PlanRates(string Backend, Precision Precision, double DataSecondsPerElement, double PackSecondsPerElement,
    double PrimalFlops, double GramStepFlops, double GramKFlops, double RowSecondsPerLogit, string Source)
{
    /// <summary>The probe's HT-Random size m (n = 2048, d = 2304, c = 255): GEMMs large enough to run at the rate of the paper's shapes.</summary>
    public const int ProbeM = 8;

    /// <summary>GD runs side by side in the probe (between a grid's refinement pair and its coarse eight).</summary>
    public const int ProbeRuns = 4;

    private const string Version = "plan-probe=v1";

    /// <summary>The rates of <paramref name="compute"/> from the cache file, or measured now and stored there.</summary>
    /// <param name="cacheFile">where rates are kept (default: the per-user cache).</param>
    public static PlanRates LoadOrMeasure(ComputeContext compute, string? cacheFile = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(compute);
        string file = cacheFile ?? DefaultCachePath();
        string key = Key(compute);
        if (Read(file, key) is { } cached) return cached with { Source = $"cached ({file})" };
        var measured = Measure(compute, cancel);
        Write(file, key, measured);
        return measured;
    }

    /// <summary>Runs the probe on <paramref name="compute"/> (a few seconds on 2 cores).</summary>
    public static PlanRates Measure(ComputeContext compute, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(compute);
        var precision = compute.LinearAlgebra.SinglePrecision ? Precision.Float32 : Precision.Float64;
        var sw = Stopwatch.StartNew();
        var p = Problems.HtRandom(ProbeM, singleInputs: precision == Precision.Float32);
        long n = p.Data.N, d = p.Data.D, c = p.Data.C;
        double data = sw.Elapsed.TotalSeconds / (n * d);
        var gd = Enumerable.Range(0, ProbeRuns).Select(r => new OptimizerSettings("gd", 1e-3 * (r + 1))).ToList();
        var (primalFirst, primalStep) = Steps(RunTraining.CreateStepper(TrainingPath.Primal, LinearModel.Create(p.Loss, p.Data, compute.LinearAlgebra), gd, p.Groups, precision), cancel);
        sw.Restart();
        var gram = RunTraining.CreateStepper(TrainingPath.Gram, LinearModel.Create(p.Loss, p.Data, compute.LinearAlgebra), gd, p.Groups, precision);
        double k = sw.Elapsed.TotalSeconds;
        var (_, gramStep) = Steps(gram, cancel);
        var oneHot = Problems.OneHot(1024, 1.0);
        var (_, rowStep) = Steps(RunTraining.CreateStepper(TrainingPath.Primal, LinearModel.Create(oneHot.Loss, oneHot.Data, compute.LinearAlgebra), gd, oneHot.Groups, precision), cancel);
        int gemms = GramStepper.GemmsPerStep(gd, precision == Precision.Float32);
        return new PlanRates(compute.Backend, precision, data, Math.Max(0, primalFirst - primalStep) / (n * d),
            4.0 * n * d * ProbeRuns * c / primalStep, 2.0 * gemms * n * n * ProbeRuns * c / gramStep, (double)n * n * d / k,
            rowStep / (oneHot.Data.N * (double)ProbeRuns * oneHot.Data.C), "measured now");
    }

    /// <summary>The first step (with its first-use work) and the median of the next three.</summary>
    private static (double First, double Step) Steps(IStepper stepper, CancellationToken cancel)
    {
        var on = Enumerable.Repeat(true, stepper.Runs).ToArray();
        double Time()
        {
            cancel.ThrowIfCancellationRequested();
            long t0 = Stopwatch.GetTimestamp();
            stepper.Evaluate(false, true); stepper.Update(on);
            return Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        double first = Time();
        var next = new[] { Time(), Time(), Time() };
        Array.Sort(next);
        return (first, next[1]);
    }

    /// <summary>What the rates depend on, as one line.</summary>
    private static string Key(ComputeContext compute)
    {
        string cpu = "unknown";
        try { cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu; }
        catch (IOException) { } catch (UnauthorizedAccessException) { }
        return string.Join(";", $"cpu={cpu}", $"cores={Environment.ProcessorCount}", $"backend={compute.LinearAlgebra.Name}", $"threads={compute.Threads}",
            $"precision={compute.Precision.Name()}", Version);
    }

    private static string DefaultCachePath()
    {
        string root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "heavytail", "plan-rates.tsv");
    }

    private string Serialize() => string.Join(" ", new[] { DataSecondsPerElement, PackSecondsPerElement, PrimalFlops, GramStepFlops, GramKFlops, RowSecondsPerLogit }
        .Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>The cached rates for this key, or null (missing, unreadable or corrupt: measure again).</summary>
    private static PlanRates? Read(string path, string key)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var line = File.ReadLines(path).Select(l => l.Split('\t')).FirstOrDefault(f => f.Length == 3 && f[0] == key);
            if (line == null) return null;
            var v = line[2].Split(' ').Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x >= 0 && double.IsFinite(x) ? x : double.NaN).ToArray();
            if (v.Length != 6 || v.Any(double.IsNaN)) return null;
            var parts = line[1].Split('|');
            return new PlanRates(parts[0], parts.Length > 1 && parts[1] == "float32" ? Precision.Float32 : Precision.Float64, v[0], v[1], v[2], v[3], v[4], v[5], "cached");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static void Write(string path, string key, PlanRates rates)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var lines = File.Exists(path) ? File.ReadLines(path).Where(l => !l.StartsWith(key + "\t")).ToList() : [];
            lines.Add($"{key}\t{rates.Backend}|{rates.Precision.Name()}\t{rates.Serialize()}");
            Analytic.IO.AtomicFile.WriteAllText(path, string.Join("\n", lines) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a cache that cannot be written: measure next time
    }
}
