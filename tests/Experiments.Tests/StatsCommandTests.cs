using HeavyTail.Tests.Shared;
using HeavyTail.Ode.Training;
using HeavyTail.Experiments.Runs;
using System.Text.Json;
using HeavyTail.Analytic.IO;

namespace HeavyTail.Experiments.Tests;

public class StatsCommandTests
{
    [Fact]
    public void Stats_on_ht_random_prints_sizes_and_log_c_losses()
    {
        var (code, o, e) = CliHarness.Run("stats", "--problem", "ht-random", "--m", "4");
        Assert.True(code == 0, e);
        Assert.Contains("n=64, d=80, c=15", o);
        Assert.Contains(JsonOut(Math.Log(15)), o);
    }

    private static string JsonOut(double v) => HeavyTail.Experiments.Runs.JsonOut.Number(v);

    [Fact]
    public void Data_then_stats_writes_every_output_with_the_documented_keys()
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("data", "--problem", "zipf", "--classes", "6", "--samples", "50", "--dim", "4", "--seed", "3", "--out", dir);
        Assert.Equal(0, r.Code);
        foreach (var f in new[] { "X.npy", "y.npy", "problem.json" }) Assert.True(File.Exists(Path.Combine(dir, f)), f);
        var w = new double[4 * 6]; var v = new double[4 * 6];
        var rng = new HeavyTail.Analytic.SeededRandom(1); rng.FillGaussian(w); rng.FillGaussian(v);
        Npy.Write(Path.Combine(dir, "W.npy"), w, [4, 6]);
        Npy.Write(Path.Combine(dir, "V.npy"), v, [4, 6]);
        string od = Path.Combine(dir, "out");
        r = CliHarness.Run("stats", "--x", Path.Combine(dir, "X.npy"), "--y", Path.Combine(dir, "y.npy"),
            "--w", Path.Combine(dir, "W.npy"), "--v", Path.Combine(dir, "V.npy"), "--out", od);
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(od, "stats.json")));
        foreach (var key in new[] { "loss", "gradient_norm", "per_class_loss", "per_class_grad_norm", "per_class_hessian_trace", "hessian_trace", "per_group_loss", "heterogeneity" })
            Assert.True(doc.RootElement.TryGetProperty(key, out _), key);
        Assert.Equal(6, doc.RootElement.GetProperty("per_class_loss").GetArrayLength());
        foreach (var f in new[] { "grad.npy", "hessian_diag.npy", "hvp.npy" })
            Assert.Equal([4, 6], Npy.Read(Path.Combine(od, f)).Shape);

        // The same numbers as the library.
        var data = new HeavyTail.Analytic.Data.Dataset(Npy.Read(Path.Combine(dir, "X.npy")).Values, Npy.Read(Path.Combine(dir, "y.npy")).ToInt32("y"), 50, 4, 6);
        var model = new HeavyTail.Analytic.Models.SoftmaxCrossEntropyModel(data, Reference.Managed);
        var g = new double[24];
        double loss = model.LossAndGradient(w, g);
        Assert.Equal(loss, doc.RootElement.GetProperty("loss").GetDouble());
        Assert.Equal(g, Npy.Read(Path.Combine(od, "grad.npy")).Values);
        var hv = new double[24]; model.HessianVectorProduct(w, v, hv);
        Assert.Equal(hv, Npy.Read(Path.Combine(od, "hvp.npy")).Values);
    }

    [Fact]
    public void Empty_class_has_null_per_class_loss_and_c_comes_from_W()
    {
        string dir = CliHarness.TempDir();
        Npy.Write(Path.Combine(dir, "X.npy"), [1.0, 2.0, 3.0, 4.0], [2, 2]);
        Npy.Write(Path.Combine(dir, "y.npy"), [0, 1]);
        Npy.Write(Path.Combine(dir, "W.npy"), new double[6], [2, 3]);
        var r = CliHarness.Run("stats", "--x", Path.Combine(dir, "X.npy"), "--y", Path.Combine(dir, "y.npy"), "--w", Path.Combine(dir, "W.npy"), "--groups", "1", "--out", dir);
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "stats.json")));
        var pcl = doc.RootElement.GetProperty("per_class_loss");
        Assert.Equal(3, pcl.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, pcl[2].ValueKind);
        Assert.Equal(Math.Log(3), doc.RootElement.GetProperty("loss").GetDouble(), 15);
    }

    [Fact]
    public void Spectra_on_a_generated_problem_match_the_dense_hessian_and_the_library()
    {
        string od = CliHarness.TempDir();
        // ht-random m = 3: n = 24, d = 32, c = 7, d·c = 224 (dense reference cheap)
        var r = CliHarness.Run("stats", "--problem", "ht-random", "--m", "3", "--top-eigenvalues", "4", "--trace-samples", "50",
            "--density", "--lanczos-steps", "20", "--density-runs", "3", "--block-spectra", "--spectrum-seed", "5", "--out", od);
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(od, "stats.json")));
        var root = doc.RootElement;
        var prob = HeavyTail.Analytic.Data.Problems.HtRandom(3);
        var model = HeavyTail.Analytic.Models.LinearModel.Create(prob.Loss, prob.Data, Reference.Managed);
        var w = new double[model.ParameterCount];
        var dense = HeavyTail.Analytic.Testing.HessianProperties.Eigenvalues(model.DenseHessian(w)).OrderByDescending(x => x).ToArray();
        var top = root.GetProperty("top_eigenvalues").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(4, top.Length);
        // Lanczos stops at residual ≤ 1e-10·θ_1, which bounds each error by that (see SpectrumTests): 1e-8 leaves room.
        for (int i = 0; i < 4; i++) Assert.True(Math.Abs(top[i] - dense[i]) <= 1e-8 * dense[0], $"λ_{i + 1} {top[i]:R} vs {dense[i]:R}");
        Assert.True(root.GetProperty("top_eigenvalues_method").GetProperty("converged").GetBoolean());
        // the same seeded computation as the library
        var lib = HeavyTail.Analytic.Statistics.HessianSpectra.Top(model, w, 4, seed: 5);
        Assert.Equal(lib.Values, top);
        var (est, se) = HeavyTail.Analytic.Statistics.HessianSpectra.Trace(model, w, 50, seed: 5);
        Assert.Equal(est, root.GetProperty("trace_estimate").GetDouble());
        Assert.Equal(se, root.GetProperty("trace_standard_error").GetDouble());
        Assert.True(root.TryGetProperty("hessian_trace", out _));

        var density = File.ReadAllLines(Path.Combine(od, "density.csv"));
        Assert.Equal("eigenvalue,density", density[0]);
        Assert.True(density.Length > 100);
        Assert.True(PngTests.IsPng(Path.Combine(od, "density.png"), out _, out _));
        Assert.Equal(60, root.GetProperty("density").GetProperty("hvps").GetInt32());

        var blocks = File.ReadAllLines(Path.Combine(od, "block_top_eigenvalue.csv"));
        Assert.Equal("class,frequency,block_top_eigenvalue,block_trace", blocks[0]);
        Assert.Equal(1 + 7, blocks.Length);
        var traces = root.GetProperty("per_class_hessian_trace").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int k = 0; k < 7; k++)
        {
            var cols = blocks[k + 1].Split(',').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            double blockMax = HeavyTail.Analytic.Testing.HessianProperties.Eigenvalues(model.DenseHessianBlock(w, k, k)).Max();
            Assert.True(Math.Abs(cols[2] - blockMax) <= 1e-8 * blockMax, $"block {k}: {cols[2]:R} vs {blockMax:R}");
            Assert.Equal(traces[k], cols[3]);
        }
    }

    /// <summary>
    /// Issue 26 §3: a Lanczos run the default budget leaves unconverged finishes with --max-hvps; residuals are reported
    /// relative to λ₁ (as the tolerance is); --block-spectra draws λ_max(H_kk) against π_k; a correlation that cannot be
    /// formed (every block equal at W = 0) says why.
    /// </summary>
    [Fact]
    public void Spectra_can_be_finished_and_say_why_a_correlation_is_undefined()
    {
        // after GD the top eigenvalues cluster; 12 HVPs cannot converge 4 of them, 224 (= d·c, a full Krylov space) must
        string trained = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run("train", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--lr", "1", "--steps", "20", "--out", trained, "--quiet").Code);
        string w = Path.Combine(trained, "W.npy");
        var few = CliHarness.Run("stats", "--problem", "ht-random", "--m", "3", "--w", w, "--top-eigenvalues", "4", "--max-hvps", "12");
        Assert.True(few.Code == 0, few.Err);
        Assert.Contains("NOT converged: raise --max-hvps (now 12)", few.Out);
        string od = CliHarness.TempDir();
        var full = CliHarness.Run("stats", "--problem", "ht-random", "--m", "3", "--w", w, "--top-eigenvalues", "4", "--max-hvps", "224", "--out", od);
        Assert.True(full.Code == 0, full.Err);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(od, "stats.json")));
        var method = doc.RootElement.GetProperty("top_eigenvalues_method");
        Assert.True(method.GetProperty("converged").GetBoolean());
        double lambda1 = doc.RootElement.GetProperty("top_eigenvalues")[0].GetDouble();
        var abs = method.GetProperty("residual_norms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var rel = method.GetProperty("relative_residuals").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(abs[i] / lambda1, rel[i], 15);
            Assert.True(rel[i] <= method.GetProperty("tolerance").GetDouble(), $"relative residual {rel[i]:G3} above the tolerance");
        }

        string zero = CliHarness.TempDir();
        var atZero = CliHarness.Run("stats", "--problem", "ht-random", "--m", "3", "--block-spectra", "--out", zero);
        Assert.True(atZero.Code == 0, atZero.Err);
        Assert.Contains("every block λ_max(H_kk) is the same", atZero.Out);
        Assert.True(PngTests.IsPng(Path.Combine(zero, "block_top_eigenvalue.png"), out _, out _));
        using var z = JsonDocument.Parse(File.ReadAllText(Path.Combine(zero, "stats.json")));
        Assert.Contains("no ranking", z.RootElement.GetProperty("block_spectra").GetProperty("spearman_undefined").GetString());
        Assert.Contains("no ranking", z.RootElement.GetProperty("correlation_with_frequency").GetProperty("spearman_hessian_trace_undefined").GetString());
        var after = CliHarness.Run("stats", "--problem", "ht-random", "--m", "3", "--w", w, "--block-spectra", "--out", CliHarness.TempDir());
        Assert.DoesNotContain("no ranking", after.Out);
    }

    [Fact]
    public void Spectra_of_user_data_at_a_given_W()
    {
        string dir = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run("data", "--problem", "zipf", "--classes", "5", "--samples", "60", "--dim", "8", "--seed", "2", "--out", dir).Code);
        var w = new double[8 * 5];
        new HeavyTail.Analytic.SeededRandom(4).FillGaussian(w);
        Npy.Write(Path.Combine(dir, "W.npy"), w, [8, 5]);
        string od = Path.Combine(dir, "out");
        var r = CliHarness.Run("stats", "--x", Path.Combine(dir, "X.npy"), "--y", Path.Combine(dir, "y.npy"), "--w", Path.Combine(dir, "W.npy"),
            "--top-eigenvalues", "3", "--density", "--lanczos-steps", "25", "--block-spectra", "--out", od);
        Assert.True(r.Code == 0, r.Err);
        var data = new HeavyTail.Analytic.Data.Dataset(Npy.Read(Path.Combine(dir, "X.npy")).Values, Npy.Read(Path.Combine(dir, "y.npy")).ToInt32("y"), 60, 8, 5);
        var model = new HeavyTail.Analytic.Models.SoftmaxCrossEntropyModel(data, Reference.Managed);
        var dense = HeavyTail.Analytic.Testing.HessianProperties.Eigenvalues(model.DenseHessian(w)).OrderByDescending(x => x).ToArray();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(od, "stats.json")));
        var top = doc.RootElement.GetProperty("top_eigenvalues").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(top[i] - dense[i]) <= 1e-8 * dense[0], $"λ_{i + 1} {top[i]:R} vs {dense[i]:R}");
        Assert.True(File.Exists(Path.Combine(od, "density.csv")) && File.Exists(Path.Combine(od, "block_top_eigenvalue.csv")));
    }

    public static IEnumerable<object[]> BadInputs()
    {
        yield return new object[] { new[] { "stats", "--problem", "nope" }, "unknown problem" };
        yield return new object[] { new[] { "stats" }, "no data" };
        yield return new object[] { new[] { "stats", "--x", "/nonexistent/X.npy", "--y", "/nonexistent/y.npy" }, "not found" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "3", "--bogus" }, "--bogus" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "40" }, "--m 40 is out of range" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "3", "--inputs", "cauchy" }, "unknown inputs" };
        yield return new object[] { new[] { "frobnicate" }, "frobnicate" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "3", "--top-eigenvalues", "0" }, "0 < K ≤ d·c = 224" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "3", "--top-eigenvalues", "225" }, "0 < K ≤ d·c = 224" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "3", "--trace-samples", "1" }, "at least 2" };
        yield return new object[] { new[] { "stats", "--problem", "zipf", "--classes", "3", "--samples", "20", "--dim", "2", "--density", "--out", "/tmp" }, "d·c = 6" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "3", "--density" }, "give --out" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "3", "--block-spectra" }, "give --out" };
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void User_errors_exit_2_with_one_line_and_no_stack_trace(string[] args, string expected)
    {
        var (code, _, err) = CliHarness.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Bad_arrays_are_named_in_the_error()
    {
        string dir = CliHarness.TempDir();
        string x = Path.Combine(dir, "X.npy"), y = Path.Combine(dir, "y.npy"), w = Path.Combine(dir, "W.npy");
        Npy.Write(x, [1.0, double.NaN, 3.0, 4.0], [2, 2]);
        Npy.Write(y, [0, 1]);
        var r = CliHarness.Run("stats", "--x", x, "--y", y);
        Assert.Equal(2, r.Code); Assert.Contains("X[0, 1] = NaN", r.Err);

        Npy.Write(x, [1.0, 2.0, 3.0, 4.0], [2, 2]);
        Npy.Write(y, [0, 1, 1]);
        r = CliHarness.Run("stats", "--x", x, "--y", y);
        Assert.Equal(2, r.Code); Assert.Contains("3 labels", r.Err);

        Npy.Write(y, [0, 5]);
        Npy.Write(w, new double[4], [2, 2]);
        r = CliHarness.Run("stats", "--x", x, "--y", y, "--w", w);
        Assert.Equal(2, r.Code); Assert.Contains("label 5", r.Err);

        Npy.Write(y, [0, 1]);
        Npy.Write(w, new double[6], [3, 2]);
        r = CliHarness.Run("stats", "--x", x, "--y", y, "--w", w);
        Assert.Equal(2, r.Code); Assert.Contains("expected d×c = 2×2", r.Err);

        File.WriteAllText(w, "garbage");
        r = CliHarness.Run("stats", "--x", x, "--y", y, "--w", w);
        Assert.Equal(2, r.Code); Assert.Contains("not a .npy file", r.Err);
    }
}
