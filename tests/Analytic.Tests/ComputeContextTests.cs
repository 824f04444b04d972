using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Analytic.Tests;

/// <summary>The compute context: an explicit value, opened by name from a catalog, disposed with its provider.</summary>
public class ComputeContextTests
{
    [Fact]
    public void Catalog_opens_by_name_and_refuses_unknown_names_with_the_choices()
    {
        using (var cpu = BackendCatalog.Cpu.Open("cpu", threads: 1))
        {
            Assert.Equal("managed", cpu.Backend);
            Assert.Equal(1, cpu.Threads);
            Assert.Equal(Precision.Float64, cpu.Precision);
        }
        using (var managed = BackendCatalog.Cpu.Open("managed")) Assert.Equal(Environment.ProcessorCount, managed.Threads);
        using (var auto = BackendCatalog.Cpu.Open("auto")) Assert.Contains(auto.Backend, new[] { "managed", "native" });
        var e = Assert.Throws<ArgumentException>(() => BackendCatalog.Cpu.Open("quantum"));
        Assert.Contains("cpu, native, auto", e.Message);
        Assert.Throws<ArgumentException>(() => BackendCatalog.Cpu.Open("cpu", threads: 0));
        var extra = BackendCatalog.Cpu.With(new LinearAlgebraBackend("never", "a backend that is never available", _ => null, "install the never-driver"));
        Assert.Equal("install the never-driver", Assert.Throws<ArgumentException>(() => extra.Open("never")).Message);
    }

    [Fact]
    public void Context_disposes_the_provider_it_owns_and_only_that()
    {
        var p = new SlowedProvider("counting", 1);
        using (new ComputeContext(p, ownsProvider: false)) { }
        Assert.Equal(0, p.Disposed);
        using (new ComputeContext(p)) { }
        Assert.Equal(1, p.Disposed);
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        // m = 7: n = 896, d = 1024, c = 127: rows × cols = 113,792 > HostRows.ParallelThreshold and 2·n·d·c ≈ 2.3e8 GEMM flops,
        // so both the row passes and the GEMM split their work over the threads
        var problem = Problems.HtRandom(7, seed: 3);
        Assert.True((long)problem.Data.N * problem.Data.C > HostRows.ParallelThreshold);
        var w = new double[problem.Data.D * problem.Data.C];
        new SeededRandom(9).FillGaussian(w, 0.05);
        double[] Run(int threads, out double loss, out double[] hv)
        {
            using var compute = ComputeContext.Managed(threads);
            var model = LinearModel.Create(problem.Loss, problem.Data, compute);
            var g = new double[w.Length]; hv = new double[w.Length];
            loss = model.LossAndGradient(w, g);
            model.HessianVectorProduct(w, g, hv);
            return g;
        }
        var g1 = Run(1, out var l1, out var h1);
        var g2 = Run(2, out var l2, out var h2);
        var g3 = Run(3, out var l3, out var h3);
        Assert.Equal(l1, l2); Assert.Equal(l1, l3);
        Assert.Equal(g1, g2); Assert.Equal(g1, g3);
        Assert.Equal(h1, h2); Assert.Equal(h1, h3);
    }

    [Fact]
    public void A_model_needs_a_provider()
    {
        var p = Problems.HtRandom(2);
        Assert.Throws<ArgumentNullException>(() => LinearModel.Create(p.Loss, p.Data, (ILinearAlgebraProvider)null!));
    }
}

/// <summary>`--backend auto` by measurement: the faster backend wins (by a margin over the managed reference), the loser is disposed, the verdict is cached.</summary>
public class BackendProbeTests
{
    private static LinearAlgebraBackend Backend(SlowedProvider p) => new(p.Name, "test", _ => p, "");

    [Fact]
    public void The_faster_backend_is_chosen_the_other_disposed_and_the_verdict_cached()
    {
        string cache = Path.Combine(Directory.CreateTempSubdirectory("probe").FullName, "probe.tsv");
        var managed = new SlowedProvider("managed", 3);
        var other = new SlowedProvider("other", 1);
        using (var ctx = BackendProbe.Fastest([Backend(other), Backend(managed)], 1, cache))
        {
            Assert.Same(other, ctx.LinearAlgebra);
            Assert.StartsWith("auto: other (GEMM probe", ctx.Choice);
            Assert.Contains("managed", ctx.Choice);
        }
        Assert.Equal(1, managed.Disposed);
        Assert.Contains("\tother (GEMM probe", File.ReadAllText(cache));
        int measured = other.Gemms;
        // the same machine key again: the verdict is reused, nothing is measured
        using (var again = BackendProbe.Fastest([Backend(other), Backend(managed)], 1, cache)) Assert.Same(other, again.LinearAlgebra);
        Assert.Equal(measured, other.Gemms);
    }

    [Fact]
    public void A_backend_slower_than_the_managed_reference_is_not_chosen()
    {
        string cache = Path.Combine(Directory.CreateTempSubdirectory("probe").FullName, "probe.tsv");
        var managed = new SlowedProvider("managed", 1);
        var other = new SlowedProvider("other", 3);
        using var ctx = BackendProbe.Fastest([Backend(other), Backend(managed)], 1, cache);
        Assert.Same(managed, ctx.LinearAlgebra);
        Assert.Equal(1, other.Disposed);
    }
}

/// <summary>The managed provider under another name, doing each GEMM <paramref name="repeats"/> times (a slower backend).</summary>
internal sealed class SlowedProvider(string name, int repeats) : ILinearAlgebraProvider
{
    private readonly ManagedLinearAlgebraProvider _inner = new(1);
    public int Gemms, Disposed;
    public string Name => name;
    public int Threads => 1;
    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc)
    {
        Interlocked.Increment(ref Gemms);
        for (int r = 0; r < repeats; r++) _inner.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) =>
        _inner.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    public void LogSoftmaxRows(double[] z, int rows, int cols, double[] output) => _inner.LogSoftmaxRows(z, rows, cols, output);
    public double SoftmaxCrossEntropyGradient(double[] z, int rows, int cols, int[] labels, double[] weights, double[]? perSampleLoss) =>
        _inner.SoftmaxCrossEntropyGradient(z, rows, cols, labels, weights, perSampleLoss);
    public void Dispose() => Disposed++;
}
