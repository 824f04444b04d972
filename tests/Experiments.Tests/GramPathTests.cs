using System.Text.Json;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Tests;

/// <summary>--path auto|primal|gram: the choice, the refusals, and what run.json, cache entries and best.json record.</summary>
public class GramPathTests
{
    private static LinearModel Model(Problem p) => LinearModel.Create(p.Loss, p.Data, new ManagedLinearAlgebraProvider());

    [Fact]
    public void Auto_takes_the_gram_path_where_it_saves_work()
    {
        var htRandom = Model(Problems.HtRandom(5, seed: 0)); // n = 160 < d = 192
        OptimizerSettings[] gd = [new("gd", 0.1), new("gd", 1.0)];
        Assert.Equal(TrainingPath.Gram, RunTraining.ChoosePath(TrainingPath.Auto, htRandom, gd, steps: 50));
        // K = XXᵀ (n²d) is not amortised by a single step
        Assert.Equal(TrainingPath.Primal, RunTraining.ChoosePath(TrainingPath.Auto, htRandom, gd, steps: 1));
        Assert.Equal(TrainingPath.Primal, RunTraining.ChoosePath(TrainingPath.Auto, htRandom, [new("adam", 0.1)], steps: 50));
        Assert.Equal(TrainingPath.Primal, RunTraining.ChoosePath(TrainingPath.Auto, htRandom, gd, steps: 50, observed: true));
        Assert.Equal(TrainingPath.Primal, RunTraining.ChoosePath(TrainingPath.Primal, htRandom, gd, steps: 50));
        // n = 2000 ≫ d = 50: an n × n GEMM per step costs more than two n × d ones
        var cube = Model(Problems.Create(new ProblemOptions { Name = "ht-cube", Samples = 2000, Classes = 8 }));
        Assert.Equal(TrainingPath.Primal, RunTraining.ChoosePath(TrainingPath.Auto, cube, gd, steps: 1000));
        Assert.Equal(TrainingPath.Gram, RunTraining.ChoosePath(TrainingPath.Gram, cube, gd, steps: 1000));
        var e = Assert.Throws<UserError>(() => RunTraining.ChoosePath(TrainingPath.Gram, htRandom, [new("gd", 0.1), new("sign", 0.1)], steps: 50));
        Assert.Contains("optimizer sign cannot run on the Gram-matrix path", e.Message);
        // float32 runs take the Gram path where it pays, as float64 ones do (its GEMMs run in float32 through the provider)
        Assert.Equal(TrainingPath.Gram, RunTraining.ChoosePath(TrainingPath.Auto, htRandom, gd, steps: 50, precision: Precision.Float32));
        Assert.Equal(TrainingPath.Primal, RunTraining.ChoosePath(TrainingPath.Auto, htRandom, gd, steps: 1, precision: Precision.Float32));
    }

    [Fact]
    public void Float32_on_the_gram_path_follows_the_float64_run_within_float32_rounding()
    {
        string[] common = ["train", "--problem", "ht-random", "--m", "4", "--optimizer", "gd", "--lr", "0.05", "--steps", "12", "--log-every", "4", "--path", "gram", "--quiet"];
        string f64 = CliHarness.TempDir(), f32 = CliHarness.TempDir();
        var a = CliHarness.Run([.. common, "--out", f64]);
        var b = CliHarness.Run([.. common, "--dtype", "float32", "--out", f32]);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(f32, "run.json"))).RootElement;
        Assert.Equal("gram", run.GetProperty("path").GetString());
        Assert.Equal("float32", run.GetProperty("dtype").GetString());
        var (_, rows64) = Csv.Read(Path.Combine(f64, "trajectory.csv"));
        var (_, rows32) = Csv.Read(Path.Combine(f32, "trajectory.csv"));
        Assert.Equal(rows64.Count, rows32.Count);
        // n = 64, d = 80, c = 15: the float32 test's bound u·(n + d + c)·(t + 1)·max(|L|, 1), u = 2⁻²⁴
        const double u = 1.0 / (1 << 24);
        bool differs = false;
        for (int i = 0; i < rows64.Count; i++)
            for (int k = 1; k < rows64[i].Length; k++)
            {
                double bound = u * (64 + 80 + 15) * (rows64[i][0] + 1) * Math.Max(Math.Abs(rows64[i][k]), 1);
                Assert.True(Math.Abs(rows64[i][k] - rows32[i][k]) <= bound, $"row {i} column {k}: {rows32[i][k]} vs {rows64[i][k]} (bound {bound:G3})");
                differs |= Math.Abs(rows64[i][k] - rows32[i][k]) > u / 8 * Math.Abs(rows64[i][k]);
            }
        Assert.True(differs, "the float32 run must really round to float32");
    }

    [Fact]
    public void Train_on_the_gram_path_gives_the_primal_numbers_and_records_its_path()
    {
        string[] common = ["train", "--problem", "ht-random", "--m", "4", "--optimizer", "gd-m", "--lr", "0.05", "--steps", "12", "--log-every", "4", "--quiet"];
        string primal = CliHarness.TempDir(), gram = CliHarness.TempDir();
        var a = CliHarness.Run([.. common, "--path", "primal", "--out", primal]);
        var b = CliHarness.Run([.. common, "--path", "gram", "--out", gram]);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        string PathOf(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json"))).RootElement.GetProperty("path").GetString()!;
        Assert.Equal("primal", PathOf(primal));
        Assert.Equal("gram", PathOf(gram));
        var (_, rowsA) = Csv.Read(Path.Combine(primal, "trajectory.csv"));
        var (_, rowsB) = Csv.Read(Path.Combine(gram, "trajectory.csv"));
        Assert.Equal(rowsA.Count, rowsB.Count);
        // n = 64, d = 80, c = 15, 12 steps: reassociated sums, 1e-10 ≫ 80·T·(n + d + c)·u·|Z| (see GramStepperTests)
        for (int i = 0; i < rowsA.Count; i++)
            for (int k = 1; k < rowsA[i].Length; k++) Assert.True(Math.Abs(rowsA[i][k] - rowsB[i][k]) <= 1e-10, $"row {i} column {k}");
        var wA = Npy.Read(Path.Combine(primal, "W.npy")).Values; var wB = Npy.Read(Path.Combine(gram, "W.npy")).Values;
        Assert.Equal(wA.Length, wB.Length);
        for (int q = 0; q < wA.Length; q++) Assert.True(Math.Abs(wA[q] - wB[q]) <= 1e-10, $"W[{q}]: {wA[q]} vs {wB[q]}");
    }

    [Theory]
    [InlineData("--optimizer", "adam", "optimizer adam cannot run on the Gram-matrix path")]
    [InlineData("--init", "W.npy", "--path gram starts from W = 0")]
    [InlineData("--path", "dual", "--path 'dual' must be one of: auto, primal, gram")]
    public void Gram_path_refusals_are_one_line_user_errors(string option, string value, string message)
    {
        string dir = CliHarness.TempDir();
        if (value == "W.npy") { value = Path.Combine(dir, "W.npy"); Npy.Write(value, new double[32 * 7], [32, 7]); }
        var args = new List<string> { "train", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--lr", "0.1", "--steps", "2", "--path", "gram", "--out", Path.Combine(dir, "out"), "--quiet" };
        int at = args.IndexOf(option);
        if (at >= 0) args[at + 1] = value; else args.AddRange([option, value]);
        var r = CliHarness.Run([.. args]);
        Assert.Equal(2, r.Code);
        Assert.StartsWith("error: ", r.Err);
        Assert.Contains(message, r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Grid_records_the_path_in_its_cache_entries_and_best_json_and_merges_across_paths()
    {
        string[] common = ["grid", "--problem", "ht-random", "--m", "4", "--optimizer", "normalized", "--steps", "10", "--lrs", "0.01,0.1,1", "--quiet"];
        string gram = CliHarness.TempDir(), primal = CliHarness.TempDir();
        var a = CliHarness.Run([.. common, "--path", "gram", "--out", gram]);
        var b = CliHarness.Run([.. common, "--path", "primal", "--out", primal]);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        JsonElement Best(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "best.json"))).RootElement;
        Assert.Equal("gram", Best(gram).GetProperty("path").GetString());
        Assert.Equal("primal", Best(primal).GetProperty("path").GetString());
        Assert.Equal(Best(primal).GetProperty("selected_lr").GetDouble(), Best(gram).GetProperty("selected_lr").GetDouble());
        var entries = Directory.GetFiles(Path.Combine(gram, "_cache"), "*.json");
        Assert.Equal(3, entries.Length);
        Assert.All(entries, f => Assert.Equal("gram", JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("path").GetString()));
        // the path is not in the key: the same runs have the same cache file names on either path
        Assert.Equal(entries.Select(Path.GetFileName).Order(), Directory.GetFiles(Path.Combine(primal, "_cache"), "*.json").Select(Path.GetFileName).Order());
        // a rerun reads the entries (whatever --path says now) and keeps their recorded path
        var again = CliHarness.Run([.. common, "--path", "primal", "--out", gram]);
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal("gram", Best(gram).GetProperty("path").GetString());
    }
    /// <summary>
    /// A float32 grid whose top step sizes oscillate and diverge selects the same step size and marks the same step sizes
    /// unstable on the Gram path (with its periodic Z = K·A refresh) as on the primal path.
    /// </summary>
    [Fact]
    public void Float32_grid_selects_the_same_step_size_and_unstable_set_on_both_paths()
    {
        string[] common = ["grid", "--problem", "ht-random", "--m", "6", "--optimizer", "gd", "--steps", "40", "--dtype", "float32", "--quiet"];
        string gram = CliHarness.TempDir(), primal = CliHarness.TempDir();
        var a = CliHarness.Run([.. common, "--path", "gram", "--out", gram]);
        var b = CliHarness.Run([.. common, "--path", "primal", "--out", primal]);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        JsonElement Best(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "best.json"))).RootElement;
        string Unstable(string dir) => string.Join(",", Best(dir).GetProperty("unstable_lrs").EnumerateArray().Select(x => x.GetDouble().ToString("R")));
        Assert.Equal("gram", Best(gram).GetProperty("path").GetString());
        Assert.Equal(Best(primal).GetProperty("selected_lr").GetDouble(), Best(gram).GetProperty("selected_lr").GetDouble());
        Assert.Equal(Unstable(primal), Unstable(gram));
        Assert.NotEqual("", Unstable(primal));   // the grid reaches the unstable step sizes the rule has to see
    }
}
