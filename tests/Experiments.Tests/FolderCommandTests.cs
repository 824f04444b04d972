namespace HeavyTail.Experiments.Tests;

/// <summary>
/// Fault class F (issue 25): a folder holds one command's results. It records the command that wrote it
/// (.heavytail.command; run.json's "command" or grid.json in older folders), and another command is refused in one line,
/// leaving the folder as it was.
/// </summary>
public class FolderCommandTests
{
    private static readonly string[] Train = ["train", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--lr", "1", "--steps", "3", "--quiet"];
    private static readonly string[] Grid = ["grid", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--steps", "3", "--lrs", "0.1,1", "--quiet"];
    private static readonly string[] Stats = ["stats", "--problem", "ht-random", "--m", "3", "--quiet"];

    private static string[] Files(string dir) => Directory.GetFiles(dir).Select(Path.GetFileName).Where(f => !f!.StartsWith('.')).Order().ToArray()!;

    [Theory]
    [InlineData("grid", "train")] [InlineData("train", "grid")] [InlineData("grid", "stats")] [InlineData("train", "stats")]
    public void A_folder_written_by_one_command_refuses_another_in_one_line(string first, string second)
    {
        string[] Args(string c) => c switch { "train" => Train, "grid" => Grid, _ => Stats };
        string dir = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run([.. Args(first), "--out", dir]).Code);
        var before = Files(dir).ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(dir, f)));
        var r = CliHarness.Run([.. Args(second), "--out", dir]);
        Assert.Equal(2, r.Code);
        Assert.Equal($"error: --out {dir} holds the results of `{first}`; `{second}` would mix its files with them: choose another --out (or empty the folder).", Assert.Single(r.Err.Trim().Split('\n')));
        Assert.Equal(before.Keys, Files(dir));
        foreach (var (f, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(dir, f)));
        // the same command again is a rerun, not a mix
        var again = CliHarness.Run([.. Args(first), "--out", dir]);
        Assert.True(again.Code == 0, again.Err);
    }

    [Fact]
    public void A_folder_from_before_the_record_is_known_by_its_run_json()
    {
        string dir = CliHarness.TempDir();
        File.WriteAllText(Path.Combine(dir, "run.json"), "{\"problem\": \"ht-random\", \"command\": \"flow\"}");
        var r = CliHarness.Run([.. Grid, "--out", dir]);
        Assert.Equal(2, r.Code);
        Assert.Contains("holds the results of `flow`", r.Err);
        // an unrelated file of the user's is no command's results
        string mine = CliHarness.TempDir();
        File.WriteAllText(Path.Combine(mine, "notes.txt"), "mine");
        Assert.Equal(0, CliHarness.Run([.. Train, "--out", mine]).Code);
    }
}
