using System.Globalization;
using System.Text;
using HeavyTail.Analytic.IO;

namespace HeavyTail.Experiments.Runs;

/// <summary>CSV output with full round-trip precision, written atomically.</summary>
public static class Csv
{
    /// <summary>Writes a CSV file atomically: the header line, then one line per row, numbers in round-trip ("R") form, NaN as nan and ±∞ as inf, -inf.</summary>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<double>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', header).Append('\n');
        foreach (var row in rows)
        {
            if (row.Count != header.Count) throw new InvalidOperationException($"CSV row has {row.Count} values for {header.Count} columns.");
            for (int i = 0; i < row.Count; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(Format(row[i]));
            }
            sb.Append('\n');
        }
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Shortest round-trip form; NaN and ±∞ as nan, inf, -inf (what NumPy and pandas read).</summary>
    public static string Format(double v) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf"
        : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads a numeric CSV with a header line: (header, rows). Streams the lines; <paramref name="cancel"/> is
    /// checked every 4096 lines (a large file stops within milliseconds of an interrupt).</summary>
    public static (string[] Header, List<double[]> Rows) Read(string path, CancellationToken cancel = default)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path} is a folder, not a CSV file; name the file inside it.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        string[]? header = null;
        var rows = new List<double[]>();
        int li = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            if ((li & 4095) == 0) cancel.ThrowIfCancellationRequested();
            if (header == null) { header = line.Split(','); li++; continue; }
            var parts = line.Split(',');
            if (parts.Length != header.Length)
                throw new InvalidDataException($"{path}:{li + 1}: {parts.Length} values for {header.Length} columns; the file is corrupt or truncated.");
            var row = new double[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                string s = parts[i].Trim();
                row[i] = Numbers.TryParseDouble(s, out var v) ? v
                    : throw new InvalidDataException($"{path}:{li + 1}: '{s}' in column {header[i]} is not a number.");
            }
            rows.Add(row);
            li++;
        }
        if (header == null) throw new InvalidDataException($"{path}: empty CSV file.");
        cancel.ThrowIfCancellationRequested();
        return (header, rows);
    }
}
