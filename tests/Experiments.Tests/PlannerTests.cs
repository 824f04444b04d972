using System.Diagnostics;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;
using Xunit.Abstractions;

namespace HeavyTail.Experiments.Tests;

/// <summary>Timing tests run alone (after the parallel collections), so other tests' work does not land in their measurements.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing (runs alone)";
}

/// <summary>The dry run's estimate (<see cref="ReproduceEstimate"/> at <see cref="PlanRates"/>) against the measured wall time of the grid it prices.</summary>
[Collection(TimingCollection.Name)]
public class PlannerTests(ITestOutputHelper output)
{
    /// <remarks>
    /// A float32 GD grid without the stability ladder (the plan does not count the ladder's extra step sizes) on HT-Random
    /// m = 8 (10 steps) and m = 9 (1 step): the coarse batch of 8 runs takes the Gram path, the refinement pair the Gram
    /// (m = 8) or primal (m = 9) path, so both paths' rates and K are priced. The probe runs right before each grid (a
    /// change of load on the machine hits both alike); a tiny grid first takes the JIT out of the measurement.
    /// </remarks>
    [Theory]
    [InlineData(8, 10)]
    [InlineData(9, 1)]
    public void Dry_run_estimate_of_a_grid_is_within_30_percent_of_its_measured_wall_time(int m, int steps)
    {
        using var compute = Gpu.IlgpuProvider.Catalog.Open("cpu", 2, Precision.Float32);
        Grid(compute, new ProblemOptions { Name = "ht-random", M = 4 }, 2);
        var rates = PlanRates.Measure(compute);
        var row = new PlannedRuns("test", new ProblemOptions { Name = "ht-random", M = m }, "gd", ReproducePlan.GridStepSizes, 1, steps, "grid");
        var estimate = ReproduceEstimate.Row(row, rates, MemoryCheck.AvailableBytes());
        double measured = Grid(compute, row.Problem, steps);
        output.WriteLine($"m = {m}, {steps} steps, float32 GD grid: estimate {estimate.Seconds:F2} s on {estimate.Path}, measured {measured:F2} s " +
                         $"(ratio {estimate.Seconds / measured:F2}); probe: primal {rates.PrimalFlops / 1e9:F1} GFLOP/s, Gram step {rates.GramStepFlops / 1e9:F1} GFLOP/s, " +
                         $"K {rates.GramKFlops / 1e9:F1} GFLOP/s, data {rates.DataSecondsPerElement * 1e9:F2} ns/entry, packing {rates.PackSecondsPerElement * 1e9:F2} ns/entry");
        Assert.InRange(estimate.Seconds / measured, 0.7, 1.3);
    }

    /// <summary>Seconds of the grid rule (stability off) on a fresh run cache and environment (the data generated inside the timing).</summary>
    private static double Grid(ComputeContext compute, ProblemOptions problem, int steps)
    {
        string dir = CliHarness.TempDir();
        try
        {
            var cache = new RunCache(dir, new RunEnvironment(compute));
            var sw = Stopwatch.StartNew();
            GridSearch.Run(cache, problem, new OptimizerSettings("gd", 1.0), steps, 1, [0L], stabilityOff: true);
            return sw.Elapsed.TotalSeconds;
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
