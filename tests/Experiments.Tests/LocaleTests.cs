using System.Text.Json;

namespace HeavyTail.Experiments.Tests;

/// <summary>
/// Fault class A (issue 25): numbers on the command line are read with one strict, culture-free grammar. The CLI runs as a
/// process with invariant globalization switched off and a German or French culture (ICU takes it from LC_ALL/LANG even
/// where the OS locale is not installed; before the fix `--lr 0.1` trained at η = 1 under de_DE on this setup).
/// </summary>
public class LocaleTests
{
    public static TheoryData<string, string> Cultures() => new() { { "LC_ALL", "de_DE.UTF-8" }, { "LANG", "fr_FR.UTF-8" } };

    private static Dictionary<string, string?> Env(string variable, string value) => new()
    {
        ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "0", ["LC_ALL"] = null, ["LC_NUMERIC"] = null, ["LANG"] = null, [variable] = value,
    };

    private static JsonElement Json(string dir, string file) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, file))).RootElement;

    [Theory]
    [MemberData(nameof(Cultures))]
    public void Decimal_points_mean_the_same_under_a_german_or_french_culture(string variable, string value)
    {
        var env = Env(variable, value);
        string train = CliHarness.TempDir();
        var r = CliProcess.Run(env, "train", "--problem", "ht-random", "--m", "3", "--optimizer", "adam", "--lr", "0.5", "--beta2", "0.99", "--steps", "3", "--out", train, "--quiet");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(0.5, Json(train, "run.json").GetProperty("lr").GetDouble());
        Assert.Equal(0.99, Json(train, "run.json").GetProperty("beta2").GetDouble());
        Assert.Matches(@"η=0\.5: finished after 3 steps, loss [0-9.]+ \([0-9]+\.[0-9]+ s\)", r.Out); // written with '.', too

        string flow = CliHarness.TempDir();
        r = CliProcess.Run(env, "flow", "--problem", "one-hot", "--classes", "5", "--flow", "gradient", "--t-end", "2.5", "--out", flow, "--quiet");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(2.5, Json(flow, "run.json").GetProperty("t_end").GetDouble());

        string grid = CliHarness.TempDir();
        r = CliProcess.Run(env, "grid", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--steps", "3", "--lrs", "0.1,1", "--max-loss-factor", "1.05", "--out", grid, "--quiet");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(1.05, Json(grid, "grid.json").GetProperty("stability").GetProperty("max_loss_factor").GetDouble());
    }

    [Theory]
    [InlineData("LC_ALL", "de_DE.UTF-8", "--lr", "0,1")]
    [InlineData("LANG", "fr_FR.UTF-8", "--lr", "1,000")]
    [InlineData("LANG", "C.UTF-8", "--lr", "0,1")]
    [InlineData("LC_ALL", "de_DE.UTF-8", "--steps", "1.000")]
    [InlineData("LC_ALL", "de_DE.UTF-8", "--beta2", "0,99")]
    public void A_comma_or_group_separator_is_refused_in_one_line_naming_the_option(string variable, string value, string option, string number)
    {
        string dir = CliHarness.TempDir();
        var args = new Dictionary<string, string> { ["--problem"] = "ht-random", ["--m"] = "3", ["--optimizer"] = "adam", ["--lr"] = "0.1", ["--steps"] = "3", ["--out"] = dir };
        args[option] = number;
        var r = CliProcess.Run(Env(variable, value), [.. args.SelectMany(kv => new[] { kv.Key, kv.Value }).Prepend("train"), "--quiet"]);
        Assert.Equal(2, r.Code);
        string line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.StartsWith($"error: {option} '{number}' is not a ", line);
        Assert.DoesNotContain(" at ", line);
        Assert.False(File.Exists(Path.Combine(dir, "run.json")));
    }
}
