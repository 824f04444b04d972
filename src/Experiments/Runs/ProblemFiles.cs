using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Experiments.Runs;

/// <summary>Problems and weights from the user's .npy files, checked against each other with one-line errors.</summary>
public static class ProblemFiles
{
    /// <summary>The user's arrays as a problem: X.npy (n×d), y.npy (n labels), optional targets Y.npy (then squared loss).</summary>
    public static Problem LoadArrays(string xPath, string yPath, string? targetsPath, string loss, int? classesHint, Precision precision = Precision.Float64)
    {
        var (x, n, d) = Npy.ReadMatrix(xPath, "X");
        var ya = Npy.Read(yPath);
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
            var (t, tn, tc) = Npy.ReadMatrix(targetsPath, "Y");
            if (tn != n || tc != c) throw new UserError($"{targetsPath} is {tn}×{tc}, expected n×c = {n}×{c}.");
            targets = t; kind = LossKind.Squared;
        }
        var data = new Dataset(x, labels, n, d, c, targets: targets);
        var groups = FrequencyGroups.UpTo(data.GroupingMass());
        return new Problem("arrays", data, kind, groups,
            new Dictionary<string, object> { ["x"] = Path.GetFullPath(xPath), ["y"] = Path.GetFullPath(yPath), ["loss"] = kind.ToString() });
    }

    /// <summary>Reads a d×c weight matrix (or returns zeros), checking it against the data.</summary>
    public static double[] LoadWeights(string? path, int d, int c, bool bias, string what = "W")
    {
        if (path == null) return new double[d * c];
        var (w, rows, cols) = Npy.ReadMatrix(path, what);
        if (cols != c) throw new UserError($"{path}: {what} has {cols} columns but the data has c = {c} classes.");
        if (rows == d - 1 && bias) throw new UserError($"{path}: {what} has {rows} rows but with --bias it needs d + 1 = {d} (the last row is the bias).");
        if (rows != d) throw new UserError($"{path}: {what} is {rows}×{cols}, expected d×c = {d}×{c}.");
        for (int i = 0; i < w.Length; i++)
            if (!double.IsFinite(w[i])) throw new UserError($"{path}: {what}[{i / c}, {i % c}] = {w[i]} is not finite.");
        return w;
    }

    /// <summary>Column count of a .npy matrix, to size c from a given W.</summary>
    public static int? ColumnsOf(string? path) => path == null ? null : Npy.ReadMatrix(path, "W").Cols;
}
