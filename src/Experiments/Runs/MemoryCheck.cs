using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Experiments.Runs;

/// <summary>
/// Problem sizes checked before anything is allocated: the memory a problem and its model need against what this machine
/// has free, and every array against .NET's per-array limit. A refusal is one line (what was asked, needed, available).
/// </summary>
public static class MemoryCheck
{
    /// <summary>Bytes a linear-model run on n×d inputs with c classes holds (<see cref="ProblemCatalog.ModelBytes"/>).</summary>
    public static double ProblemBytes(long n, long d, long c, Precision precision = Precision.Float64) => ProblemCatalog.ModelBytes(n, d, c, precision);

    /// <summary>Free memory: /proc/meminfo's MemAvailable where there is one, capped by the runtime's limit (a container's) less what the heap holds.</summary>
    public static double AvailableBytes()
    {
        double runtime = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - (double)GC.GetTotalMemory(false);
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)
                    && long.TryParse(line["MemAvailable:".Length..].Trim().Split(' ')[0], out long kb))
                    return Math.Min(runtime, kb * 1024.0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return runtime;
    }

    /// <summary>A byte count for people: KiB, MiB or GiB with one decimal.</summary>
    public static string Format(double bytes) =>
        bytes >= 1 << 30 ? $"{bytes / (1 << 30):F1} GiB" : bytes >= 1 << 20 ? $"{bytes / (1 << 20):F1} MiB" : $"{bytes / 1024:F0} KiB";

    /// <summary>Refuses (one <see cref="UserError"/> line) a problem of n samples, d features and c classes that cannot be held.</summary>
    public static void Check(string what, long n, long d, long c, Precision precision = Precision.Float64)
    {
        double need = ProblemBytes(n, d, c, precision), free = AvailableBytes();
        if (need > free)
            throw new UserError($"{what} (n = {n}, d = {d}, c = {c}) needs about {Format(need)} of memory but {Format(free)} is available; choose smaller sizes.");
        foreach (var (name, count) in new[] { ("n·d (X)", n * d), ("n·c (logits)", n * c), ("d·c (W)", d * c) })
            if (count > Array.MaxLength)
                throw new UserError($"{what} (n = {n}, d = {d}, c = {c}) has {name} = {count} values, more than one array holds ({Array.MaxLength}); choose smaller sizes.");
    }

    /// <summary>
    /// Refuses a training log that could not be held until it is written: steps/every + 1 rows of
    /// <paramref name="groups"/> group losses (about 80 + 8·K bytes each), against half of the free memory.
    /// </summary>
    public static void CheckLog(long steps, int every, int groups)
    {
        long rows = steps / every + 1;
        double need = rows * (80.0 + 8.0 * groups), free = AvailableBytes();
        if (need > free / 2)
        {
            long suggest = (long)Math.Ceiling(every * need / (free / 8));
            throw new UserError($"--steps {steps} with --log-every {every} logs {rows} rows, about {Format(need)} of memory until trajectory.csv is written, but {Format(free)} is available; raise --log-every (e.g. --log-every {suggest}).");
        }
    }

    /// <summary>(n, d, c) of a generated problem, from its options alone (<see cref="ProblemCatalog.Sizes"/>).</summary>
    public static (long N, long D, long C)? Sizes(ProblemOptions o) => ProblemCatalog.Sizes(o);

    /// <summary>Checks a generated problem's options before it is generated: positive sizes, c ≤ n where samples are drawn per class, memory.</summary>
    public static void Check(ProblemOptions o, Precision precision = Precision.Float64)
    {
        if (Sizes(o) is not var (n, d, c)) return;
        if (n < 1 || d < 1 || c < 1) return; // the generator says which one is not positive
        if (o.Name is "ht-cube" or "zipf" && c > n)
            throw new UserError($"--classes {c} is more than --samples {n}: {o.Name} would leave classes without samples; use at most n classes.");
        Check($"{o.Name}", n, d, c, precision);
    }
}
