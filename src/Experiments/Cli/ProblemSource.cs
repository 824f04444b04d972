using System.CommandLine;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Experiments.Cli;

/// <summary>The loaded input of a command: data, loss, frequency groups and a description for run.json.</summary>
public sealed record LoadedProblem(string Name, Dataset Data, LossKind Loss, FrequencyGroups Groups, Dictionary<string, object?> Settings);

/// <summary>
/// The options every command shares to name its data: a generated problem (--problem NAME and its options) or
/// the user's own arrays (--x X.npy --y y.npy), plus --bias and --groups.
/// </summary>
public sealed class ProblemSource
{
    public readonly Option<string?> Problem = new("--problem") { Description = $"generated problem: {string.Join(", ", Problems.Names)}" };
    public readonly Option<int> M = new("--m") { Description = "ht-random size m (c = 2^m − 1, n = m·2^m, d = (m+1)·2^m)", DefaultValueFactory = _ => 7 };
    public readonly Option<int?> Samples = new("--samples") { Description = "sample count n (ht-cube, zipf)" };
    public readonly Option<int?> Classes = new("--classes") { Description = "class count c (ht-cube, zipf, one-hot)" };
    public readonly Option<int?> Dim = new("--dim") { Description = "input dimension d (zipf)" };
    public readonly Option<double> Zipf = new("--zipf-exponent") { Description = "a in p_k ∝ (k+1)^(−a) (zipf, one-hot)", DefaultValueFactory = _ => 1.0 };
    public readonly Option<int> K = new("--k") { Description = "ht-identity: largest class has 10^k samples", DefaultValueFactory = _ => 3 };
    public readonly Option<string> Inputs = new("--inputs") { Description = "ht-random inputs: uniform (the paper's code) or gaussian", DefaultValueFactory = _ => "uniform" };
    public readonly Option<long> Seed = new("--seed") { Description = "random seed of the data generator", DefaultValueFactory = _ => 0 };
    public readonly Option<string?> X = new("--x") { Description = "features X.npy (n×d, float32/float64)" };
    public readonly Option<string?> Y = new("--y") { Description = "labels y.npy (n, integers 0..c−1)" };
    public readonly Option<string?> Targets = new("--targets") { Description = "regression targets Y.npy (n×c); selects squared loss" };
    public readonly Option<string> LossOption = new("--loss") { Description = "loss for --x/--y data: ce (softmax cross-entropy) or squared", DefaultValueFactory = _ => "ce" };
    public readonly Option<bool> Bias = new("--bias") { Description = "add a bias (a constant-1 feature; the last row of W)" };
    public readonly Option<int?> Groups = new("--groups") { Description = "number of frequency groups (default: the problem's own, else 10)" };

    public void AddTo(Command cmd)
    {
        foreach (Option o in new Option[] { Problem, M, Samples, Classes, Dim, Zipf, K, Inputs, Seed, X, Y, Targets, LossOption, Bias, Groups })
            cmd.Options.Add(o);
    }

    /// <summary>The generator options named on the command line (problem name given).</summary>
    public ProblemOptions GeneratorOptions(ParseResult r, string name) => new()
    {
        Name = name, M = r.GetValue(M), Samples = r.GetValue(Samples), Classes = r.GetValue(Classes), Dimension = r.GetValue(Dim),
        ZipfExponent = r.GetValue(Zipf), K = r.GetValue(K), Inputs = r.GetValue(Inputs)!, Seed = r.GetValue(Seed),
    };

    /// <param name="classesHint">c from a given W (its column count), when the data is the user's.</param>
    public LoadedProblem Load(ParseResult r, int? classesHint = null)
    {
        string? name = r.GetValue(Problem), xPath = r.GetValue(X), yPath = r.GetValue(Y);
        bool bias = r.GetValue(Bias);
        int? groups = r.GetValue(Groups);
        if (name != null && (xPath != null || yPath != null))
            throw new UserError("give either --problem NAME or --x X.npy --y y.npy, not both.");
        LoadedProblem loaded;
        if (name != null)
        {
            var p = Problems.Create(GeneratorOptions(r, name));
            var settings = new Dictionary<string, object?> { ["problem"] = p.Name };
            foreach (var kv in p.Info) settings[kv.Key] = kv.Value;
            loaded = new LoadedProblem(p.Name, p.Data, p.Loss, p.Groups, settings);
        }
        else if (xPath != null && yPath != null)
        {
            loaded = LoadArrays(xPath, yPath, r.GetValue(Targets), r.GetValue(LossOption)!, classesHint);
        }
        else throw new UserError("no data: give --problem NAME (one of " + string.Join(", ", Problems.Names) + ") or --x X.npy --y y.npy.");

        var data = bias ? loaded.Data.WithBias() : loaded.Data;
        var fg = loaded.Groups;
        if (groups is int kGroups)
        {
            if (kGroups < 1) throw new UserError($"--groups {kGroups} must be at least 1.");
            fg = FrequencyGroups.FromMass(data.GroupingMass(), kGroups);
        }
        loaded.Settings["bias"] = bias;
        loaded.Settings["groups"] = fg.K;
        return loaded with { Data = data, Groups = fg };
    }

    private static LoadedProblem LoadArrays(string xPath, string yPath, string? targetsPath, string loss, int? classesHint)
    {
        var (x, n, d) = Npy.ReadMatrix(xPath, "X");
        var ya = Npy.Read(yPath);
        if (ya.Shape.Length != 1) throw new UserError($"{yPath}: labels must be a 1-D array of n = {n} integers, got shape ({string.Join(", ", ya.Shape)}).");
        if (ya.Shape[0] != n) throw new UserError($"{yPath} has {ya.Shape[0]} labels but {xPath} has {n} rows; they must match.");
        var labels = ya.ToInt32(yPath);
        if (labels.Length == 0) throw new UserError($"{yPath}: no samples.");
        int minLabel = labels.Min();
        if (minLabel < 0) throw new UserError($"{yPath}: label {minLabel} is negative; labels must be 0..c−1.");
        int c = classesHint ?? labels.Max() + 1;
        if (labels.Max() >= c) throw new UserError($"{yPath}: label {labels.Max()} is outside 0..{c - 1} (c = {c} from W's column count).");
        for (int i = 0; i < x.Length; i++)
            if (!double.IsFinite(x[i])) throw new UserError($"{xPath}: X[{i / d}, {i % d}] = {x[i]} is not finite; remove NaN/Inf rows.");
        double[]? targets = null;
        LossKind kind = loss switch
        {
            "ce" or "cross-entropy" => LossKind.CrossEntropy,
            "squared" => LossKind.Squared,
            _ => throw new UserError($"unknown --loss '{loss}'; choose ce or squared."),
        };
        if (targetsPath != null)
        {
            var (t, tn, tc) = Npy.ReadMatrix(targetsPath, "Y");
            if (tn != n || tc != c) throw new UserError($"{targetsPath} is {tn}×{tc}, expected n×c = {n}×{c}.");
            targets = t; kind = LossKind.Squared;
        }
        var data = new Dataset(x, labels, n, d, c, targets: targets);
        var groups = FrequencyGroups.UpTo(data.GroupingMass());
        return new LoadedProblem("arrays", data, kind, groups,
            new Dictionary<string, object?> { ["x"] = Path.GetFullPath(xPath), ["y"] = Path.GetFullPath(yPath), ["loss"] = kind.ToString() });
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
