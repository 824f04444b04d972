using System.Text.Json;

namespace HeavyTail.Experiments.Tests;

/// <summary>--backend and --threads open the command's compute context; bad values are one-line errors (exit 2).</summary>
public class ComputeOptionTests
{
    [Theory]
    [InlineData("--backend", "quantum", "unknown backend 'quantum'")]
    [InlineData("--threads", "0", "threads = 0 must be at least 1")]
    public void Bad_compute_options_are_one_line_errors(string option, string value, string message)
    {
        var r = CliHarness.Run("train", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--lr", "0.1", "--steps", "2",
            "--out", CliHarness.TempDir(), option, value);
        Assert.Equal(2, r.Code);
        Assert.Contains(message, r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Train_records_the_backend_and_threads_it_ran_on_and_the_numbers_do_not_depend_on_them()
    {
        string one = CliHarness.TempDir(), two = CliHarness.TempDir();
        string[] args = ["train", "--problem", "ht-random", "--m", "4", "--optimizer", "adam", "--lr", "0.01", "--steps", "5", "--quiet", "--backend", "cpu"];
        var a = CliHarness.Run([.. args, "--threads", "1", "--out", one]);
        var b = CliHarness.Run([.. args, "--threads", "2", "--out", two]);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        using var ja = JsonDocument.Parse(File.ReadAllText(Path.Combine(one, "run.json")));
        Assert.Equal("managed", ja.RootElement.GetProperty("backend").GetString());
        Assert.Equal(1, ja.RootElement.GetProperty("threads").GetInt32());
        Assert.Equal(File.ReadAllText(Path.Combine(one, "trajectory.csv")), File.ReadAllText(Path.Combine(two, "trajectory.csv")));
    }
}
