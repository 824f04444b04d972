using System.Globalization;
using System.Text.Json;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Cli;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Tests;

/// <summary>--dtype float32|float64: the precision the command's backend computes in, its records and cache keys, its errors.</summary>
public class DtypeOptionTests
{
    private static readonly double U = Math.Pow(2, -24);

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static double[] Losses(string dir) =>
        File.ReadLines(Path.Combine(dir, "trajectory.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void Train_in_float32_records_its_dtype_and_tracks_the_float64_run()
    {
        string f64 = CliHarness.TempDir(), f32 = CliHarness.TempDir();
        string[] args = ["train", "--problem", "ht-random", "--m", "4", "--optimizer", "adam", "--lr", "0.01", "--steps", "6", "--quiet", "--backend", "cpu"];
        var a = CliHarness.Run([.. args, "--out", f64]);
        var b = CliHarness.Run([.. args, "--dtype", "float32", "--out", f32]);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        Assert.Equal("float64", Json(Path.Combine(f64, "run.json")).GetProperty("dtype").GetString());
        Assert.Equal("float32", Json(Path.Combine(f32, "run.json")).GetProperty("dtype").GetString());
        Assert.Equal("managed-float32", Json(Path.Combine(f32, "run.json")).GetProperty("backend").GetString());
        // m = 4: n = 64, d = 80, c = 15; the bound of Ode.Tests' Float32TrainingTests, |ΔL_t| ≤ u·(n + d + c)·(t + 1)·max(|L|, 1)
        var l64 = Losses(f64); var l32 = Losses(f32);
        Assert.Equal(l64.Length, l32.Length);
        for (int t = 0; t < l64.Length; t++)
            Assert.True(Math.Abs(l32[t] - l64[t]) <= U * (64 + 80 + 15) * (t + 1) * Math.Max(1, l64[t]), $"step {t}: {l32[t]:R} vs {l64[t]:R}");
        Assert.Contains(l64.Zip(l32), p => p.First != p.Second); // float32 really ran
    }

    [Theory]
    [InlineData("train", "--backend", "ilgpu-cpu", "--dtype", "float64", "backend ilgpu-cpu computes in float32 only")]
    [InlineData("train", "--backend", "cpu", "--dtype", "float16", "--dtype 'float16' is not a precision")]
    [InlineData("stats", "--backend", "gpu", "--dtype", "float64", "backend gpu computes in float32 only")]
    public void Unsupported_or_unknown_dtypes_are_one_line_errors(string command, string backendOption, string backend, string dtypeOption, string dtype, string message)
    {
        string[] args = command == "train"
            ? ["train", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--lr", "0.1", "--steps", "2", "--out", CliHarness.TempDir()]
            : ["stats", "--problem", "ht-random", "--m", "3"];
        var r = CliHarness.Run([.. args, backendOption, backend, dtypeOption, dtype]);
        Assert.Equal(2, r.Code);
        Assert.StartsWith("error: ", r.Err);
        Assert.Contains(message, r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Cache_keys_differ_between_dtypes_and_a_float32_run_is_no_float64_hit()
    {
        using var f64 = HeavyTailCli.Backends.Open("cpu", 1);
        using var f32 = HeavyTailCli.Backends.Open("cpu", 1, Precision.Float32);
        Assert.Equal(Precision.Float64, f64.Precision);
        Assert.Equal(Precision.Float32, f32.Precision);
        Assert.IsType<SinglePrecisionProvider>(f32.LinearAlgebra);
        var problem = new ProblemOptions { Name = "ht-random", M = 3, Seed = 0 };
        var gd = new OptimizerSettings("gd", 0.5);
        var e64 = new RunEnvironment(f64); var e32 = new RunEnvironment(f32);
        var s64 = e64.Spec(problem, gd, 4, 1); var s32 = e32.Spec(problem, gd, 4, 1);
        Assert.DoesNotContain("precision", s64.Canonical());           // float64 keys are those of before --dtype
        Assert.EndsWith(";precision=float32", s32.Canonical());
        Assert.NotEqual(s64.Key(), s32.Key());
        string dir = CliHarness.TempDir();
        var stored = new RunCache(dir, e32).GetOrRun(s32);
        Assert.False(new RunCache(dir, e64).TryLoad(s64, out _));
        Assert.True(new RunCache(dir, e32).TryLoad(s32, out var again));
        Assert.Equal(stored.FinalLoss, again.FinalLoss);
        // a spec is trained only in its own precision (else its key would lie)
        Assert.Throws<ArgumentException>(() => new RunCache(dir, e64).GetOrRun(s32));
        Assert.Equal(MemoryCheck.ProblemBytes(1000, 10, 5) + 12.0 * 1000 * 10, MemoryCheck.ProblemBytes(1000, 10, 5, Precision.Float32));
    }

    [Fact]
    public void Grid_shards_in_float32_record_the_dtype_and_merge_in_it()
    {
        string one = CliHarness.TempDir(), two = CliHarness.TempDir();
        string[] common = ["grid", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--steps", "5", "--seeds", "1", "--lrs", "0.1,1,10",
                           "--quiet", "--backend", "cpu", "--dtype", "float32"];
        var a = CliHarness.Run([.. common, "--shard", "0/2", "--out", one]);
        var b = CliHarness.Run([.. common, "--shard", "1/2", "--out", two]);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        Assert.Equal("float32", Json(Path.Combine(one, "grid.json")).GetProperty("dtype").GetString());
        // no --dtype on merge: it computes in grid.json's precision, so the shards' float32 runs are cache hits
        var m = CliHarness.Run("grid", "merge", one, two, "--quiet", "--backend", "cpu");
        Assert.True(m.Code == 0, m.Err);
        Assert.Equal("float32", Json(Path.Combine(one, "best.json")).GetProperty("dtype").GetString());
        var canonicals = Directory.GetFiles(Path.Combine(one, "_cache"), "*.json").Select(f => Json(f).GetProperty("canonical").GetString()!).ToList();
        Assert.Equal(3, canonicals.Count);
        Assert.All(canonicals, c => Assert.EndsWith(";precision=float32", c));
    }

    [Fact]
    public void Stats_in_float32_records_its_dtype_and_agrees_with_float64_to_float32_accuracy()
    {
        string f64 = CliHarness.TempDir(), f32 = CliHarness.TempDir();
        string[] args = ["stats", "--problem", "ht-random", "--m", "4", "--quiet", "--backend", "cpu"];
        var a = CliHarness.Run([.. args, "--out", f64]);
        var b = CliHarness.Run([.. args, "--dtype", "float32", "--out", f32]);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        var j64 = Json(Path.Combine(f64, "stats.json")); var j32 = Json(Path.Combine(f32, "stats.json"));
        Assert.Equal("float32", j32.GetProperty("dtype").GetString());
        Assert.Contains("dtype=float32", b.Out);
        // W = 0: L = log c; the float32 softmax sum of c = 15 terms and its exponentials: |ΔL| ≤ (c + 2)·u·L
        double l64 = j64.GetProperty("loss").GetDouble(), l32 = j32.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(l32 - l64) <= 17 * U * l64, $"{l32:R} vs {l64:R}");
        // ‖∇L‖ from a float32 GEMM over n = 64 samples of inputs in [0, 1) and residuals rounded to float32
        double g64 = j64.GetProperty("gradient_norm").GetDouble(), g32 = j32.GetProperty("gradient_norm").GetDouble();
        Assert.True(Math.Abs(g32 - g64) <= (64 + 17) * U * g64, $"{g32:R} vs {g64:R}");
    }

    [Fact]
    public void Run_trains_its_recipe_in_the_dtype_and_records_it_in_run_json()
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("run", "ht-random-gd-vs-adam", "--scale", "tiny", "--out", dir, "--quiet", "--backend", "cpu", "--dtype", "float32");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("float32", Json(Path.Combine(dir, "ht-random-gd-vs-adam", "run.json")).GetProperty("dtype").GetString());
        var canonicals = Directory.GetFiles(Path.Combine(dir, "_cache"), "*.json").Select(f => Json(f).GetProperty("canonical").GetString()!).ToList();
        Assert.NotEmpty(canonicals);
        Assert.All(canonicals, c => Assert.EndsWith(";precision=float32", c));
    }
}
