using System.Diagnostics;
using System.Runtime.Intrinsics;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Experiments.Runs.Benchmarks;

/// <summary>
/// The CPU's FMA throughput per precision (the denominator of a benchmark's "% machine"), measured on first use and kept
/// by this instance: the caller owns it (one per benchmark run or per process), so nothing is cached process-wide.
/// </summary>
public sealed class MachinePeaks
{
    private readonly Dictionary<Precision, double> _known = new();
    private readonly int _threads;

    /// <param name="threads">cores the probe runs on (null: every core).</param>
    public MachinePeaks(int? threads = null) => _threads = threads ?? Environment.ProcessorCount;

    /// <summary>The peaks measured so far, by precision name (float32, float64), GFLOP/s.</summary>
    public IReadOnlyDictionary<string, double> Measured
    {
        get { lock (_known) return _known.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.Name(), kv => kv.Value); }
    }

    /// <summary>The cores the probe runs on.</summary>
    public int Threads => _threads;

    /// <summary>
    /// GFLOP/s of the CPU's FMA units in <paramref name="precision"/>, measured once per instance: every core runs 12
    /// independent chains a ← a·x + y on the widest accelerated vector (12 chains hide a 4-cycle FMA latency on two pipes),
    /// 2 flops per lane per FMA; the best of 3 rounds of 4·10⁶ iterations. An interrupted probe is not kept.
    /// </summary>
    public double Get(Precision precision, CancellationToken cancel = default)
    {
        lock (_known)
        {
            if (_known.TryGetValue(precision, out var known)) return known;
            bool single = precision == Precision.Float32;
            int lanes = (Vector512.IsHardwareAccelerated ? 64 : 32) / (single ? 4 : 8);
            const long iterations = 4_000_000;
            int threads = _threads;
            double best = 0, sink = 0;
            for (int round = 0; round < 3; round++)
            {
                cancel.ThrowIfCancellationRequested(); // a round is ≈ 10 ms
                var sums = new double[threads];
                var sw = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => sums[t] = FmaChains(single, iterations));
                best = Math.Max(best, threads * iterations * 12.0 * lanes * 2 / sw.Elapsed.TotalSeconds / 1e9);
                sink += sums.Sum();
            }
            if (double.IsNaN(sink)) best = double.NaN; // keeps the chains' results alive
            return _known[precision] = best;
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

}
