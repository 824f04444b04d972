using HeavyTail.Ode.Training;
using HeavyTail.Experiments.Runs;
using HeavyTail.Experiments.Torch.Datasets;

namespace HeavyTail.Experiments.Tests;

public class DatasetTests
{
    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    [Fact]
    public void Idx_reads_gzip_and_raw_files()
    {
        var images = Idx.Read(Fixture("idx", "images-idx3-ubyte.gz"));
        Assert.Equal([30, 28, 28], images.Shape);
        Assert.Equal(784, images.ItemSize);
        var labels = Idx.Read(Fixture("idx", "labels-idx1-ubyte.gz"));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (byte)(i % 10)), labels.Data);
        Assert.Equal(labels.Data, Idx.Read(Fixture("idx", "labels-raw-idx1-ubyte")).Data);
        Assert.Equal(labels.Data, Idx.Parse(Idx.Write(labels), "roundtrip").Data);
    }

    [Theory]
    [InlineData("truncated-idx3-ubyte.gz", "truncated")]
    [InlineData("badmagic-idx1-ubyte", "bad magic")]
    [InlineData("notgzip-idx1-ubyte.gz", "corrupt")]
    [InlineData("missing-idx1-ubyte.gz", "get-data.sh")]
    public void Idx_rejects_corrupt_and_missing_files_naming_the_fix(string file, string expected)
    {
        var e = Record.Exception(() => Idx.Read(Fixture("idx", file)));
        Assert.NotNull(e);
        Assert.True(e is InvalidDataException or FileNotFoundException, e.GetType().Name);
        Assert.Contains(expected, e.Message);
        Assert.Contains("dataset-fashion-mnist", e.Message);
    }

    [Fact]
    public void Barcoded_construction_has_the_stated_classes_counts_and_pixels()
    {
        var images = Idx.Read(Fixture("idx", "images-idx3-ubyte.gz"));
        var labels = Idx.Read(Fixture("idx", "labels-idx1-ubyte.gz"));
        int bits = 3, originals = 20, copies = 2;
        var b = BarcodedImages.Build(images, labels, bits, originals, copies, seed: 1);
        Assert.Equal(10 + 10 * 8, b.Classes);
        Assert.Equal(originals + copies * 10 * 8, b.Count);
        var counts = new int[b.Classes];
        foreach (var l in b.Labels) counts[l]++;
        for (int y = 0; y < 10; y++) Assert.Equal(2, counts[y]);          // 20 originals, labels i mod 10
        for (int k = 10; k < b.Classes; k++) Assert.Equal(copies, counts[k]);
        Assert.Equal(2, b.Groups.K);
        Assert.Equal(0, b.Groups.GroupOf[9]); Assert.Equal(1, b.Groups.GroupOf[10]);
        for (int i = originals; i < b.Count; i++)
        {
            var img = b.Pixels.AsSpan(i * 784, 784);
            int cls = b.Labels[i] - 10, y = cls / 8, code = cls % 8;
            Assert.Equal(code, BarcodedImages.ReadBarcode(img, bits));
            Assert.All(img[..bits].ToArray(), p => Assert.True(p is 0 or 255));
            // the rest of the image is an original of class y
            var rest = img[bits..].ToArray();
            Assert.Contains(Enumerable.Range(0, originals).Where(j => labels.Data[j] == y), j => images.Data.AsSpan(j * 784 + bits, 784 - bits).SequenceEqual(rest));
        }
        Assert.Equal(b.Pixels.AsSpan(0, originals * 784).ToArray(), images.Data.AsSpan(0, originals * 784).ToArray());
        Assert.Throws<ArgumentException>(() => BarcodedImages.Build(images, labels, 0, originals, copies));
        Assert.Throws<ArgumentException>(() => BarcodedImages.Build(images, labels, 3, 31, copies));
    }

    [Fact]
    public void Barcode_bits_are_written_most_significant_first()
    {
        var img = new byte[10];
        BarcodedImages.WriteBarcode(img, 0b1011, 4);
        Assert.Equal(new byte[] { 255, 0, 255, 255, 0, 0, 0, 0, 0, 0 }, img);
    }

    [Fact]
    public void Brown_tokens_vocabulary_sequences_and_groups()
    {
        var tokens = BrownCorpus.ReadTokens(Fixture("brown"));
        Assert.Equal("the", tokens[0]);
        Assert.Contains("1/2", tokens);                     // a word containing '/' keeps it: the tag is after the last '/'
        Assert.DoesNotContain(tokens, t => t.Contains("/cd") || t.Contains("/at"));
        var corpus = new BrownCorpus(tokens);
        Assert.Equal("the", corpus.Vocabulary[0]);          // the most frequent word has id 0
        Assert.Equal(tokens.Count, corpus.Counts.Sum());
        for (int i = 1; i < corpus.Counts.Length; i++) Assert.True(corpus.Counts[i] <= corpus.Counts[i - 1]);
        var (x, y, seqs) = corpus.Sequences(5);
        Assert.Equal((tokens.Count - 1) / 5, seqs);
        for (int i = 0; i < seqs * 5; i++) Assert.Equal(corpus.Ids[i + 1], y[i]);
        var g = corpus.Groups(3);
        Assert.Equal(3, g.K);
        var unk = new BrownCorpus(tokens, minCount: 2);
        Assert.Contains(BrownCorpus.Unknown, unk.Vocabulary);
        Assert.True(unk.Vocabulary.Length < corpus.Vocabulary.Length);
        Assert.Equal(tokens.Count, unk.Counts.Sum());
    }

    [Fact]
    public void Malformed_or_missing_corpus_names_the_file_and_the_fix()
    {
        var e = Assert.Throws<InvalidDataException>(() => BrownCorpus.ReadTokens(Fixture("brown-malformed")));
        Assert.Contains("ca01:1", e.Message); Assert.Contains("'said'", e.Message); Assert.Contains("get-data.sh", e.Message);
        var m = Assert.Throws<DirectoryNotFoundException>(() => BrownCorpus.ReadTokens(Fixture("nope")));
        Assert.Contains("get-data.sh", m.Message);
    }
}
