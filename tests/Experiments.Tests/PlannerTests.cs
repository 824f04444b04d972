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
    /// m = 8 (20 steps) and m = 9 (1 step): the coarse batch of 8 runs takes the Gram path, the refinement pair the Gram
    /// (m = 8) or primal (m = 9) path, so both paths' rates and K are priced. The probe runs right before
    /// and right after each grid (a change of load on the machine moves both estimates; the test takes their geometric mean);
    /// a tiny grid first takes the JIT out of the measurement. On a shared machine a burst of another process's work can
    /// land inside one grid of a few seconds, so the test has up to 3 attempts (each printed) and one must be within ±30 %.
    /// </remarks>
    [Theory]
    [InlineData(8, 20)]
    [InlineData(9, 1)]
    public void Dry_run_estimate_of_a_grid_is_within_30_percent_of_its_measured_wall_time(int m, int steps)
    {
        using var compute = Gpu.IlgpuProvider.Catalog.Open("cpu", 2, Precision.Float32);
        Grid(compute, new ProblemOptions { Name = "ht-random", M = 4 }, 2);
        var row = new PlannedRuns("test", new ProblemOptions { Name = "ht-random", M = m }, "gd", ReproducePlan.GridStepSizes, 1, steps, "grid");
        // up to 3 attempts, each printed: on a shared machine another process's burst can land inside one grid of seconds
        var ratios = new List<double>();
        for (int attempt = 1; attempt <= 3 && !ratios.Any(r => r is >= 0.7 and <= 1.3); attempt++)
        {
            var before = PlanRates.Measure(compute);
            double measured = Grid(compute, row.Problem, steps);
            var after = PlanRates.Measure(compute);
            var (first, second) = (ReproduceEstimate.Row(row, before, MemoryCheck.AvailableBytes()), ReproduceEstimate.Row(row, after, MemoryCheck.AvailableBytes()));
            // the probe on either side of the grid: a load that changes during the test moves both estimates, their geometric mean follows it
            double estimate = Math.Sqrt(first.Seconds * second.Seconds);
            foreach (var (when, rates) in new[] { ("before", before), ("after", after) })
                output.WriteLine($"attempt {attempt}, probe {when}: primal {rates.PrimalFlops / 1e9:F1} GFLOP/s, Gram step {rates.GramStepFlops / 1e9:F1} GFLOP/s, K {rates.GramKFlops / 1e9:F1} GFLOP/s, " +
                                 $"data {rates.DataSecondsPerElement * 1e9:F2} ns/entry, packing {rates.PackSecondsPerElement * 1e9:F2} ns/entry");
            output.WriteLine($"attempt {attempt}: m = {m}, {steps} steps, float32 GD grid on {first.Path}: estimate {estimate:F2} s ({first.Seconds:F2} s from the probe before, " +
                             $"{second.Seconds:F2} s after), measured {measured:F2} s (ratio {estimate / measured:F2})");
            ratios.Add(estimate / measured);
        }
        Assert.Contains(ratios, r => r is >= 0.7 and <= 1.3);
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
