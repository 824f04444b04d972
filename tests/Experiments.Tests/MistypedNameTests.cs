using HeavyTail.Analytic;

namespace HeavyTail.Experiments.Tests;

/// <summary>Fault class 8: mistyped commands, options and names: one line naming the nearest known one, exit 2.</summary>
public class MistypedNameTests
{
    [Theory]
    [InlineData("trian", "train")]
    [InlineData("tarin", "train")]
    [InlineData("trainn", "train")]
    [InlineData("stat", "stats")]
    [InlineData("flwo", "flow")]
    [InlineData("grdi", "grid")]
    [InlineData("reproduse", "reproduce")]
    [InlineData("Plot", "plot")]
    public void A_mistyped_command_names_the_nearest_one(string typed, string meant)
    {
        var r = CliHarness.Run(typed, "--problem", "ht-random", "--m", "3", "--out", "x");
        Assert.Equal(2, r.Code);
        Assert.Equal($"error: unknown command '{typed}' (did you mean '{meant}'?); `heavytail --help` lists them.", r.Err.Trim());
    }

    [Fact]
    public void A_word_far_from_every_command_gets_no_guess()
    {
        var r = CliHarness.Run("xyzzyq");
        Assert.Equal(2, r.Code);
        Assert.Equal("error: unknown command 'xyzzyq'; `heavytail --help` lists them.", r.Err.Trim());
        var none = CliHarness.Run();
        Assert.Equal(2, none.Code);
        Assert.Contains("no command given", none.Err);
    }

    [Theory]
    [InlineData("--stpes", "--steps")]
    [InlineData("--optimiser", "--optimizer")]
    [InlineData("--lr-", "--lr")]
    [InlineData("--qiuet", "--quiet")]
    public void A_mistyped_option_names_the_nearest_one(string typed, string meant)
    {
        var r = CliHarness.Run("train", "--problem", "ht-random", "--m", "3", typed, "5", "--out", "x");
        Assert.Equal(2, r.Code);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains($"unknown option '{typed}' for `heavytail train` (did you mean '{meant}'?)", r.Err);
    }

    [Theory]
    [InlineData(new[] { "grid", "mrege", "a" }, "merge")]
    [InlineData(new[] { "run", "flwos", "--scale", "tiny" }, "flows")]
    [InlineData(new[] { "train", "--problem", "ht-randon", "--optimizer", "gd", "--lr", "1", "--steps", "1", "--out", "x" }, "ht-random")]
    [InlineData(new[] { "train", "--problem", "ht-random", "--m", "3", "--optimizer", "adma", "--lr", "1", "--steps", "1", "--out", "x" }, "adam")]
    [InlineData(new[] { "flow", "--problem", "one-hot", "--classes", "3", "--flow", "gradeint", "--t-end", "1", "--out", "x" }, "gradient")]
    [InlineData(new[] { "flow", "--problem", "one-hot", "--classes", "3", "--flow", "gradient", "--solver", "dopri", "--t-end", "1", "--out", "x" }, "dopri5")]
    [InlineData(new[] { "stats", "--problem", "ht-random", "--m", "3", "--backend", "cpuu" }, "cpu")]
    [InlineData(new[] { "run", "flows", "--scale", "tinny" }, "tiny")]
    public void A_mistyped_name_anywhere_names_the_nearest_one(string[] args, string meant)
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run(args.Select(a => a == "x" ? dir : a).ToArray());
        Assert.Equal(2, r.Code);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains($"(did you mean '{meant}'?)", r.Err);
    }

    [Fact]
    public void Nearest_finds_transpositions_and_declines_far_words()
    {
        string[] names = ["train", "stats", "flow", "data"];
        Assert.Equal("train", Spelling.Nearest("trian", names));
        Assert.Equal("data", Spelling.Nearest("dta", names));
        Assert.Null(Spelling.Nearest("quux", names));
        Assert.Null(Spelling.Nearest("train", names)); // an exact name is no typo
        Assert.Equal(1, Spelling.Distance("ab", "ba"));
        Assert.Equal(3, Spelling.Distance("kitten", "sitting"));
    }
}
