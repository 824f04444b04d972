using HeavyTail.Ode.Training;
using HeavyTail.Experiments.Runs;
using System.Globalization;
using System.Text.Json;
using HeavyTail.Analytic.IO;
using HeavyTail.Experiments.Cli;

namespace HeavyTail.Experiments.Tests;

public class TrainFlowCommandTests
{
    [Fact]
    public void Train_writes_trajectory_run_json_and_W()
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("train", "--problem", "ht-random", "--m", "3", "--optimizer", "adam", "--lr", "0.01", "--steps", "7", "--log-every", "3", "--out", dir, "--quiet");
        Assert.True(r.Code == 0, r.Err);
        var (header, rows) = Csv.Read(Path.Combine(dir, "trajectory.csv"));
        Assert.Equal(["step", "loss", "group_0_loss", "group_1_loss", "group_2_loss"], header);
        Assert.Equal([0.0, 3, 6, 7], rows.Select(x => x[0]));
        Assert.Equal(Math.Log(7), rows[0][1]);
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal("finished", run.RootElement.GetProperty("status").GetString());
        Assert.Equal(0.9, run.RootElement.GetProperty("beta1").GetDouble());
        Assert.Equal([32, 7], Npy.Read(Path.Combine(dir, "W.npy")).Shape);
        // same seed, same numbers
        string dir2 = CliHarness.TempDir();
        CliHarness.Run("train", "--problem", "ht-random", "--m", "3", "--optimizer", "adam", "--lr", "0.01", "--steps", "7", "--log-every", "3", "--out", dir2, "--quiet");
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "trajectory.csv")), File.ReadAllText(Path.Combine(dir2, "trajectory.csv")));
    }

    [Fact]
    public void A_diverging_train_run_is_recorded_not_crashed()
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("train", "--problem", "zipf", "--classes", "3", "--samples", "30", "--dim", "2", "--optimizer", "gd", "--lr", "1e308", "--steps", "20", "--out", dir, "--quiet");
        Assert.Equal(0, r.Code);
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal("diverged", run.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public void Flow_on_one_hot_writes_class_and_theory_columns_that_agree()
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("flow", "--problem", "one-hot", "--classes", "8", "--flow", "gradient", "--t-end", "100", "--save-at", "0,1,10,100", "--out", dir);
        Assert.True(r.Code == 0, r.Err);
        var (header, rows) = Csv.Read(Path.Combine(dir, "flow.csv"));
        Assert.Equal("t", header[0]); Assert.Equal("class_0_loss", header[2]); Assert.Equal("theory_loss", header[10]);
        Assert.Equal(4, rows.Count);
        foreach (var row in rows)
        {
            for (int k = 0; k < 8; k++) Assert.True(Math.Abs(row[2 + k] - row[11 + k]) <= 1e-7 * row[11 + k]);
            // dissipation identity of gradient flow: dL/dt = −‖g‖², evaluated from the field at the saved state
            Assert.Equal(row[^1], row[^2], 14);
            Assert.True(row[^1] < 0);
        }
        Assert.Equal("dL_dt", header[^2]);
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal("Success", run.RootElement.GetProperty("result").GetString());
        Assert.True(run.RootElement.GetProperty("stats").GetProperty("function_evaluations").GetInt32() > 0);
    }

    [Fact]
    public void Flow_on_data_problems_writes_group_columns()
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("flow", "--problem", "ht-random", "--m", "3", "--flow", "adam", "--t-end", "2", "--save-at", "0,1,2", "--out", dir);
        Assert.True(r.Code == 0, r.Err);
        var (header, _) = Csv.Read(Path.Combine(dir, "flow.csv"));
        Assert.Equal(["t", "loss", "group_0_loss", "group_1_loss", "group_2_loss", "dL_dt", "dL_dt_identity"], header);
    }

    [Theory]
    [InlineData("gd", "0.05")]
    [InlineData("sign", "0.01")]
    [InlineData("adam", "0.01")]
    [InlineData("gd-m", "0.0025")]
    public void Compare_puts_the_optimizer_and_its_flow_on_one_time_axis(string optimizer, string lr)
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("compare", "--problem", "zipf", "--classes", "4", "--samples", "40", "--dim", "3", "--optimizer", optimizer, "--lr", lr, "--steps", "20", "--out", dir, "--quiet");
        Assert.True(r.Code == 0, r.Err);
        var (header, rows) = Csv.Read(Path.Combine(dir, "compare.csv"));
        Assert.Equal(["step", "t", "discrete_loss", "flow_loss", "abs_difference"], header);
        Assert.Equal(21, rows.Count);
        Assert.Equal(rows[0][2], rows[0][3], 14);
        double eta = double.Parse(lr, CultureInfo.InvariantCulture);
        Assert.Equal(optimizer == "gd-m" ? 20 * Math.Sqrt(eta) : 20 * eta, rows[^1][1], 12);
        Assert.True(rows.Max(x => x[4]) < 0.05 * rows[0][2]);
        Assert.True(PngTests.IsPng(Path.Combine(dir, "compare.png"), out int w, out int h) && (w, h) == (1200, 800), "compare.png");
    }

    [Fact]
    public void Plot_puts_a_trajectory_on_the_flows_time_axis_or_refuses_in_one_line()
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("compare", "--problem", "one-hot", "--classes", "6", "--optimizer", "gd-m", "--lr", "0.04", "--steps", "30", "--out", dir, "--quiet");
        Assert.True(r.Code == 0, r.Err);
        string png = Path.Combine(dir, "overlay.png");
        var p = CliHarness.Run("plot", Path.Combine(dir, "trajectory.csv"), Path.Combine(dir, "flow.csv"), "--columns", "loss", "--out", png);
        Assert.True(p.Code == 0, p.Err);
        Assert.True(PngTests.IsPng(png, out _, out _));
        // the trajectory's last step lands on the flow's last time: 30·√0.04 = 6 for heavy ball
        var (fh, frows) = Csv.Read(Path.Combine(dir, "flow.csv"));
        Assert.Equal(30 * Math.Sqrt(0.04), frows[^1][0], 9);

        string orphan = Path.Combine(CliHarness.TempDir(), "trajectory.csv");
        File.Copy(Path.Combine(dir, "trajectory.csv"), orphan);
        var refused = CliHarness.Run("plot", orphan, Path.Combine(dir, "flow.csv"), "--out", Path.Combine(CliHarness.TempDir(), "x.png"));
        Assert.Equal(2, refused.Code);
        Assert.Contains("no run.json beside it", refused.Err);
        Assert.Single(refused.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Bad_optimizer_and_flow_names_are_user_errors()
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("train", "--problem", "ht-random", "--m", "3", "--optimizer", "lamb", "--lr", "0.1", "--steps", "1", "--out", dir);
        Assert.Equal(2, r.Code); Assert.Contains("unknown optimizer 'lamb'", r.Err);
        r = CliHarness.Run("flow", "--problem", "ht-random", "--m", "3", "--flow", "mirror", "--t-end", "1", "--out", dir);
        Assert.Equal(2, r.Code); Assert.Contains("unknown flow", r.Err);
        r = CliHarness.Run("compare", "--problem", "ht-random", "--m", "3", "--optimizer", "pcngd", "--lr", "0.1", "--steps", "1", "--out", dir);
        Assert.Equal(2, r.Code); Assert.Contains("no continuous-time limit", r.Err);
        r = CliHarness.Run("flow", "--problem", "ht-random", "--m", "3", "--flow", "gradient", "--t-end", "1", "--save-at", "0,5", "--out", dir);
        Assert.Equal(2, r.Code); Assert.Contains("--save-at", r.Err);
    }
}

/// <summary>Fault class 6: the closed-form theory columns of flow.csv stay finite (and agree with the solve) out to t = 1e308.</summary>
public class TheoryOverflowTests
{
    [Theory]
    [InlineData("1e155", 20)] [InlineData("1e300", 20)] [InlineData("1e308", 20)] [InlineData("1e300", 3)]
    public void Theory_columns_are_finite_and_match_the_integrated_loss_at_huge_times(string tEnd, int classes)
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("flow", "--problem", "one-hot", "--classes", classes.ToString(), "--flow", "gradient", "--t-end", tEnd, "--out", dir, "--quiet");
        Assert.True(r.Code == 0, r.Err);
        var (header, rows) = Csv.Read(Path.Combine(dir, "flow.csv"));
        int theory = Array.IndexOf(header, "theory_loss");
        Assert.True(theory > 0);
        foreach (var row in rows)
        {
            for (int k = theory; k < theory + classes + 1; k++) Assert.True(double.IsFinite(row[k]) && row[k] >= 0, $"{header[k]} = {row[k]} at t = {row[0]}");
            if (row[0] > 0) Assert.True(Math.Abs(row[1] - row[theory]) <= 1e-6 * row[theory], $"t = {row[0]}: loss {row[1]} vs theory {row[theory]}");
        }
    }
}
