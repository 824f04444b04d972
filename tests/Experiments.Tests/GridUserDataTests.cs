using System.Text.Json;
using HeavyTail.Analytic.IO;

namespace HeavyTail.Experiments.Tests;

/// <summary>`grid --x X.npy --y y.npy`: the user's arrays, keyed by their content hash.</summary>
public class GridUserDataTests
{
    /// <summary>HT-Random m = 3 (n = 24, d = 32, c = 7) written by `heavytail data` with the given seed.</summary>
    private static (string X, string Y) Data(long seed)
    {
        string dir = Path.Combine(CliHarness.TempDir(), "data");
        var r = CliHarness.Run("data", "--problem", "ht-random", "--m", "3", "--seed", seed.ToString(), "--out", dir);
        Assert.True(r.Code == 0, r.Err);
        return (Path.Combine(dir, "X.npy"), Path.Combine(dir, "y.npy"));
    }

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    /// <summary>best.json without the entries that name the data (the arrays' hash), as text.</summary>
    private static string Selection(string dir)
    {
        var o = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(Path.Combine(dir, "best.json")))!;
        o.Remove("data"); o.Remove("data_sha256");
        return JsonSerializer.Serialize(o);
    }

    [Fact]
    public void The_grid_on_exported_arrays_selects_as_the_grid_on_the_generated_problem()
    {
        var (x, y) = Data(0);
        string arrays = CliHarness.TempDir(), named = CliHarness.TempDir();
        string[] common = ["--optimizer", "adam", "--steps", "30", "--quiet"];
        var a = CliHarness.Run(["grid", "--x", x, "--y", y, .. common, "--out", arrays]);
        Assert.True(a.Code == 0, a.Err);
        var n = CliHarness.Run(["grid", "--problem", "ht-random", "--m", "3", .. common, "--out", named]);
        Assert.True(n.Code == 0, n.Err);
        // the full rule (coarse, refinement, stability ladder) on the same numbers by two routes: generator vs .npy loader
        Assert.Equal(Selection(named), Selection(arrays));
        Assert.Equal(16, Json(Path.Combine(arrays, "best.json")).GetProperty("data_sha256").GetString()!.Length);
        Assert.Equal(Json(Path.Combine(arrays, "best.json")).GetProperty("data_sha256").GetString(),
            Json(Path.Combine(arrays, "grid.json")).GetProperty("data_sha256").GetString());
        Assert.False(Json(Path.Combine(named, "best.json")).TryGetProperty("data_sha256", out _));
    }

    [Fact]
    public void A_changed_data_file_gets_new_keys_and_an_unchanged_one_reuses_the_cache()
    {
        var (x, y) = Data(0);
        var (x1, _) = Data(1);
        string dir = CliHarness.TempDir();
        string[] args = ["grid", "--x", x, "--y", y, "--optimizer", "gd", "--steps", "10", "--lrs", "0.1,1", "--quiet", "--out", dir];
        int Entries() => Directory.GetFiles(Path.Combine(dir, "_cache"), "*.json").Length;
        string Hash() => Json(Path.Combine(dir, "best.json")).GetProperty("data_sha256").GetString()!;
        Assert.Equal(0, CliHarness.Run(args).Code);
        Assert.Equal(2, Entries());
        string before = Hash();
        Assert.Equal(0, CliHarness.Run(args).Code);
        Assert.Equal(2, Entries());                     // same content: read from the cache
        File.Copy(x1, x, overwrite: true);              // same path and shape, other numbers
        Assert.Equal(0, CliHarness.Run(args).Code);
        Assert.Equal(4, Entries());                     // trained again, not the stale runs
        Assert.NotEqual(before, Hash());
    }

    [Fact]
    public void Merge_refuses_shards_that_saw_other_data_or_files_changed_since()
    {
        var (x, y) = Data(0);
        var (x1, y1) = Data(1);
        string s0 = CliHarness.TempDir(), s1 = CliHarness.TempDir(), other = CliHarness.TempDir();
        string[] common = ["--optimizer", "gd", "--steps", "10", "--quiet"];
        Assert.Equal(0, CliHarness.Run(["grid", "--x", x, "--y", y, .. common, "--shard", "0/2", "--out", s0]).Code);
        Assert.Equal(0, CliHarness.Run(["grid", "--x", x, "--y", y, .. common, "--shard", "1/2", "--out", s1]).Code);
        Assert.Equal(0, CliHarness.Run(["grid", "--x", x1, "--y", y1, .. common, "--shard", "1/2", "--out", other]).Code);
        int cached = Directory.GetFiles(Path.Combine(s0, "_cache")).Length;

        var bad = CliHarness.Run("grid", "merge", s0, other);
        Assert.Equal(2, bad.Code);
        Assert.StartsWith("error: ", bad.Err);
        Assert.Contains("other data", bad.Err);
        Assert.Single(bad.Err.Trim().Split('\n'));
        Assert.Equal(cached, Directory.GetFiles(Path.Combine(s0, "_cache")).Length);   // nothing copied
        Assert.False(File.Exists(Path.Combine(s0, "best.json")));

        File.Copy(x1, x, overwrite: true);
        var changed = CliHarness.Run("grid", "merge", s0, s1);
        Assert.Equal(2, changed.Code);
        Assert.Contains("changed since the grid ran", changed.Err);
        Assert.Single(changed.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Seeds_and_a_problem_name_are_refused_with_arrays()
    {
        var (x, y) = Data(0);
        var seeds = CliHarness.Run("grid", "--x", x, "--y", y, "--seeds", "2", "--optimizer", "gd", "--steps", "5", "--out", CliHarness.TempDir());
        Assert.Equal(2, seeds.Code);
        Assert.Contains("--seeds 2", seeds.Err);
        var both = CliHarness.Run("grid", "--x", x, "--y", y, "--problem", "ht-random", "--optimizer", "gd", "--steps", "5", "--out", CliHarness.TempDir());
        Assert.Equal(2, both.Code);
        Assert.Contains("not both", both.Err);
    }
}
