using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Tests;

/// <summary>Fault class 1: --out names an existing file (or a path inside one): one line, exit 2, the file untouched.</summary>
public class OutputPathTests
{
    /// <summary>Every command with an output folder, its --out left for the test to add.</summary>
    public static TheoryData<string[]> Commands() => new()
    {
        new[] { "train", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--lr", "1", "--steps", "5" },
        new[] { "data", "--problem", "ht-random", "--m", "3" },
        new[] { "stats", "--problem", "ht-random", "--m", "3" },
        new[] { "flow", "--problem", "one-hot", "--classes", "4", "--flow", "gradient", "--t-end", "1" },
        new[] { "compare", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--lr", "0.1", "--steps", "3" },
        new[] { "grid", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--steps", "3", "--lrs", "0.1" },
        new[] { "run", "flows", "--scale", "tiny" },
        new[] { "plot", "missing.csv" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void An_existing_file_as_out_is_refused_in_one_line_and_left_untouched(string[] command)
    {
        string dir = CliHarness.TempDir();
        string file = Path.Combine(dir, command[0] == "plot" ? "afile.png" : "afile");
        // three variations: --out is the file, a path inside the file, a path two levels inside it
        foreach (var target in new[] { file, Path.Combine(file, "sub"), Path.Combine(file, "a", "b") })
        {
            File.WriteAllText(file, "hi\n");
            string outPath = command[0] == "plot" && target != file ? Path.Combine(target, "x.png") : target;
            if (command[0] == "plot" && target == file) continue; // a PNG may be overwritten; a folder may not
            var r = CliHarness.Run([.. command, "--out", outPath, "--quiet"]);
            Assert.True(r.Code == 2, $"{string.Join(' ', command)} --out {outPath}: exit {r.Code}, {r.Err}");
            Assert.Single(r.Err.Trim().Split('\n'));
            Assert.Contains("is a file", r.Err.Replace("is an existing file", "is a file"));
            Assert.DoesNotContain("   at ", r.Err);
            Assert.Equal("hi\n", File.ReadAllText(file));
        }
    }

    [Fact]
    public void A_folder_named_as_a_files_output_is_refused()
    {
        string dir = CliHarness.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "pic.png"));
        var r = CliHarness.Run("plot", "missing.csv", "--out", Path.Combine(dir, "pic.png"));
        Assert.Equal(2, r.Code);
        Assert.Contains("is a folder", r.Err);
    }

    [Fact]
    public void Prepare_accepts_new_and_existing_folders()
    {
        string dir = CliHarness.TempDir();
        Assert.Equal(dir, OutputFolder.Prepare(dir));
        string nested = Path.Combine(dir, "a", "b");
        OutputFolder.Prepare(nested);
        Assert.True(Directory.Exists(nested));
    }
}
