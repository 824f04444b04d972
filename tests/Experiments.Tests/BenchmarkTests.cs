using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Runs;
using HeavyTail.Experiments.Runs.Benchmarks;

namespace HeavyTail.Experiments.Tests;

/// <summary>`bench` as a library call (<see cref="Benchmark.Run"/>): the rows it returns, the caller's FMA peaks, the peers' failure line; no wall time is asserted.</summary>
public class BenchmarkTests
{
    [Fact]
    public void Path_and_train_rows_come_back_per_path_with_the_peaks_measured_in_the_same_call()
    {
        var peaks = new MachinePeaks(threads: 2);
        var request = new BenchRequest
        {
            Sizes = [4], Precisions = [Precision.Float32], Backends = ["cpu"], Peers = false, Threads = 2,
            Paths = [TrainingPath.Primal, TrainingPath.Gram], Train = true,
        };
        var result = Benchmark.Run(request, peaks);
        Assert.Single(result.Steps);
        Assert.Equal(["primal", "gram"], result.Paths.Select(r => (string)r["path"]!));
        Assert.Equal(["primal", "gram"], result.Train.Select(r => (string)r["path"]!));
        foreach (var row in result.Paths.Concat(result.Train))
        {
            Assert.Equal("float32", row["dtype"]);
            Assert.True((double)row["step_s"]! > 0 && (double)row["setup_s"]! >= 0);
        }
        // K is timed on the Gram path only; n²·d flops (n = 64, d = 80 at m = 4)
        Assert.False(result.Paths[0].ContainsKey("k_s"));
        Assert.Equal(64.0 * 64 * 80 / (double)result.Paths[1]["k_s"]! / 1e9, (double)result.Paths[1]["k_gflops"]!, 1e-9);
        // the peak is the caller's value: measured once, the same number in every row and in the result
        Assert.Equal(peaks.Measured["float32"], result.MachinePeaks["float32"]);
        Assert.All(result.Paths, r => Assert.Equal(peaks.Measured["float32"], (double)r["machine_peak_gflops"]!));
    }

    [Theory]
    [InlineData(new[] { 1 }, false, 3, "--sizes")]
    [InlineData(new[] { 4 }, true, 3, "--paths")]
    [InlineData(new[] { 4 }, false, 1, "--train-steps")]
    public void A_request_that_cannot_run_is_one_user_error_naming_its_option(int[] sizes, bool trainWithoutPaths, int trainSteps, string option)
    {
        var request = new BenchRequest { Sizes = sizes, Train = trainWithoutPaths || trainSteps < 2, TrainSteps = trainSteps, Paths = trainSteps < 2 ? [TrainingPath.Primal] : [] };
        var e = Assert.Throws<UserError>(request.Validate);
        Assert.Contains(option, e.Message);
    }

    [Fact]
    public void A_peer_killed_by_a_signal_is_named_by_its_signal_not_blamed_on_setup()
    {
        string killed = PythonPeers.Failure(137, "");
        Assert.Contains("SIGKILL", killed);
        Assert.Contains("out-of-memory", killed);
        Assert.DoesNotContain("setup.sh", killed);
        Assert.Contains("SIGSEGV", PythonPeers.Failure(139, "Segmentation fault"));
        string missing = PythonPeers.Failure(1, "Traceback …\nModuleNotFoundError: No module named 'torch'\n");
        Assert.Contains("ModuleNotFoundError", missing);
        Assert.Contains("bench/setup.sh", missing);
    }
}
