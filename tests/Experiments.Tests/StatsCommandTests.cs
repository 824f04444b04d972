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

    public static IEnumerable<object[]> BadInputs()
    {
        yield return new object[] { new[] { "stats", "--problem", "nope" }, "unknown problem" };
        yield return new object[] { new[] { "stats" }, "no data" };
        yield return new object[] { new[] { "stats", "--x", "/nonexistent/X.npy", "--y", "/nonexistent/y.npy" }, "not found" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "3", "--bogus" }, "--bogus" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "40" }, "--m 40 is out of range" };
        yield return new object[] { new[] { "stats", "--problem", "ht-random", "--m", "3", "--inputs", "cauchy" }, "unknown inputs" };
        yield return new object[] { new[] { "frobnicate" }, "frobnicate" };
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
