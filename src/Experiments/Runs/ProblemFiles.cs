using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Experiments.Runs;

/// <summary>Problems and weights from the user's .npy files, checked against each other with one-line errors.</summary>
public static class ProblemFiles
{
    /// <summary>The user's arrays as a problem: X.npy (n×d), y.npy (n labels), optional targets Y.npy (then squared loss).</summary>
    public static Problem LoadArrays(string xPath, string yPath, string? targetsPath, string loss, int? classesHint, Precision precision = Precision.Float64,
        Action<string>? waiting = null)
    {
        var (x, n, d) = Npy.ReadMatrix(xPath, "X", waiting);
        var ya = Npy.Read(yPath, waiting);
        if (ya.Shape.Length != 1) throw new UserError($"{yPath}: labels must be a 1-D array of n = {n} integers, got shape ({string.Join(", ", ya.Shape)}).");
        if (ya.Shape[0] != n) throw new UserError($"{yPath} has {ya.Shape[0]} labels but {xPath} has {n} rows; they must match.");
        var labels = ya.ToInt32(yPath);
        if (labels.Length == 0) throw new UserError($"{yPath}: no samples.");
        int minLabel = labels.Min();
        if (minLabel < 0) throw new UserError($"{yPath}: label {minLabel} is negative; labels must be 0..c−1.");
        // c: W's column count when a W is given, else the largest label + 1, bounded by n (a label past n leaves classes
        // without samples: almost surely a corrupt or mis-encoded y)
        long maxLabel = labels.Max();
        if (classesHint is int cw)
        {
            if (maxLabel >= cw) throw new UserError($"{yPath}: label {maxLabel} is outside 0..{cw - 1} (c = {cw} from W's column count).");
        }
        else if (maxLabel + 1 > n)
            throw new UserError($"{yPath}: label {maxLabel} implies c = {maxLabel + 1} classes for n = {n} samples; labels must be 0..c−1 with c ≤ n (relabel the classes 0, 1, 2, …).");
        int c = classesHint ?? (int)(maxLabel + 1);
        MemoryCheck.Check($"{xPath} with {yPath}", n, d, c, precision);
        for (int i = 0; i < x.Length; i++)
            if (!double.IsFinite(x[i])) throw new UserError($"{xPath}: X[{i / d}, {i % d}] = {x[i]} is not finite; remove NaN/Inf rows.");
        double[]? targets = null;
        LossKind kind = loss switch
        {
            "ce" or "cross-entropy" => LossKind.CrossEntropy,
            "squared" => LossKind.Squared,
            _ => throw new UserError($"unknown --loss '{loss}'{Analytic.Spelling.DidYouMean(loss, ["ce", "squared"])}; choose ce or squared."),
        };
        if (targetsPath != null)
        {
            var (t, tn, tc) = Npy.ReadMatrix(targetsPath, "Y", waiting);
            if (tn != n || tc != c) throw new UserError($"{targetsPath} is {tn}×{tc}, expected n×c = {n}×{c}.");
            targets = t; kind = LossKind.Squared;
        }
        var data = new Dataset(x, labels, n, d, c, targets: targets);
        var groups = FrequencyGroups.UpTo(data.GroupingMass());
        return new Problem("arrays", data, kind, groups,
            new Dictionary<string, object> { ["x"] = Path.GetFullPath(xPath), ["y"] = Path.GetFullPath(yPath), ["loss"] = kind.ToString(), [DataHashKey] = ContentSha256(data) });
    }

    /// <summary>The <see cref="Problem.Info"/> entry that holds <see cref="ContentSha256"/> of the user's arrays.</summary>
    public const string DataHashKey = "data_sha256";

    /// <summary>
    /// The content hash of a data set: the first 16 hex digits of SHA-256 over "n,d,c,targets|" (UTF-8), then X as
    /// little-endian float64 (row-major n×d), the labels as little-endian int32 and the targets (n×c float64) when given.
    /// The arrays as loaded, so the same numbers in a float64 and a float32 .npy of equal values hash alike, and a file
    /// moved or renamed keeps its hash.
    /// </summary>
    public static string ContentSha256(Dataset data)
    {
        using var h = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        h.AppendData(System.Text.Encoding.UTF8.GetBytes($"{data.N},{data.D},{data.C},{(data.Targets != null ? "targets" : "labels")}|"));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the data hash is defined on little-endian bytes.");
        h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.X.AsSpan()));
        h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Labels.AsSpan()));
        if (data.Targets != null) h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Targets.AsSpan()));
        return Convert.ToHexString(h.GetHashAndReset())[..16].ToLowerInvariant();
    }

    /// <summary>Reads a d×c weight matrix (or returns zeros), checking it against the data.</summary>
    public static double[] LoadWeights(string? path, int d, int c, bool bias, string what = "W", Action<string>? waiting = null)
    {
        if (path == null) return new double[d * c];
        var (w, rows, cols) = Npy.ReadMatrix(path, what, waiting);
        if (cols != c) throw new UserError($"{path}: {what} has {cols} columns but the data has c = {c} classes.");
        if (rows == d - 1 && bias) throw new UserError($"{path}: {what} has {rows} rows but with --bias it needs d + 1 = {d} (the last row is the bias).");
        if (rows != d) throw new UserError($"{path}: {what} is {rows}×{cols}, expected d×c = {d}×{c}.");
        for (int i = 0; i < w.Length; i++)
            if (!double.IsFinite(w[i])) throw new UserError($"{path}: {what}[{i / c}, {i % c}] = {w[i]} is not finite.");
        return w;
    }

    /// <summary>Column count of a .npy matrix, to size c from a given W.</summary>
    public static int? ColumnsOf(string? path, Action<string>? waiting = null) => path == null ? null : Npy.ReadMatrix(path, "W", waiting).Cols;

    /// <summary>The problem with --bias (a constant-1 feature) and --groups K applied, both recorded in its description.</summary>
    public static Problem WithBiasAndGroups(Problem loaded, Dictionary<string, object> settings, bool bias, int? groups)
    {
        var data = bias ? loaded.Data.WithBias() : loaded.Data;
        var fg = loaded.Groups;
        if (groups is int kGroups)
        {
            if (kGroups < 1) throw new UserError($"--groups {kGroups} must be at least 1.");
            fg = FrequencyGroups.FromMass(data.GroupingMass(), kGroups);
        }
        settings["bias"] = bias;
        settings["groups"] = fg.K;
        return loaded with { Data = data, Groups = fg, Info = settings };
    }
}
