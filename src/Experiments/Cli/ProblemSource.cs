using System.CommandLine;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// The options every command shares to name its data: a generated problem (--problem NAME and its options) or
/// the user's own arrays (--x X.npy --y y.npy), plus --bias and --groups.
/// </summary>
/// <param name="waiting">where a "waiting for input" line goes when a file is a pipe nobody writes to (the command's stderr).</param>
public sealed class ProblemSource(Action<string>? waiting = null)
{
    /// <summary>Where a "waiting for input" line goes (<see cref="Analytic.IO.InputFile.OpenRead"/>).</summary>
    public Action<string>? Waiting { get; } = waiting;


    public readonly Option<string?> Problem = new("--problem") { Description = $"generated problem: {string.Join(", ", ProblemCatalog.Names)}" };
    public readonly Option<int> M = new("--m") { Description = ProblemCatalog.Help("--m"), DefaultValueFactory = _ => 7 };
    public readonly Option<int?> Samples = new("--samples") { Description = ProblemCatalog.Help("--samples") };
    public readonly Option<int?> Classes = new("--classes") { Description = ProblemCatalog.Help("--classes") };
    public readonly Option<int?> Dim = new("--dim") { Description = ProblemCatalog.Help("--dim") };
    public readonly Option<int?> Vocab = new("--vocab") { Description = ProblemCatalog.Help("--vocab") };
    public readonly Option<double> Zipf = new("--zipf-exponent") { Description = ProblemCatalog.Help("--zipf-exponent"), DefaultValueFactory = _ => 1.0 };
    public readonly Option<int> K = new("--k") { Description = ProblemCatalog.Help("--k"), DefaultValueFactory = _ => 3 };
    public readonly Option<string> Inputs = new("--inputs") { Description = ProblemCatalog.Help("--inputs"), DefaultValueFactory = _ => "uniform" };
    public readonly Option<long?> RotateSeed = new("--rotate-seed") { Description = ProblemCatalog.Help("--rotate-seed") };
    public readonly Option<long> Seed = new("--seed") { Description = ProblemCatalog.Help("--seed"), DefaultValueFactory = _ => 0 };
    public readonly Option<string?> X = new("--x") { Description = "features X.npy (n×d, float32/float64)" };
    public readonly Option<string?> Y = new("--y") { Description = "labels y.npy (n, integers 0..c−1)" };
    public readonly Option<string?> Targets = new("--targets") { Description = "regression targets Y.npy (n×c); selects squared loss" };
    public readonly Option<string> LossOption = new("--loss") { Description = "loss for --x/--y data: ce (softmax cross-entropy) or squared", DefaultValueFactory = _ => "ce" };
    public readonly Option<bool> Bias = new("--bias") { Description = "add a bias (a constant-1 feature; the last row of W)" };
    public readonly Option<int?> Groups = new("--groups") { Description = "number of frequency groups (default: the problem's own, else the largest K ≤ 10 with no empty group)" };

    public void AddTo(Command cmd)
    {
        foreach (Option o in new Option[] { Problem, M, Samples, Classes, Dim, Vocab, Zipf, K, Inputs, RotateSeed, Seed, X, Y, Targets, LossOption, Bias, Groups })
            cmd.Options.Add(o);
    }

    /// <summary>The data options named on the command line (not defaults).</summary>
    public IEnumerable<string> Given(ParseResult r) =>
        new Option[] { M, Samples, Classes, Dim, Vocab, Zipf, K, Inputs, RotateSeed, Seed, Targets, LossOption }.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name);

    /// <summary>The generator options named on the command line (problem name given); those the problem does not read are refused.</summary>
    public ProblemOptions GeneratorOptions(ParseResult r, string name)
    {
        ProblemOptionUse.Check(name, Given(r));
        return Options(r, name);
    }

    private ProblemOptions Options(ParseResult r, string name) => new()
    {
        Name = name, M = r.GetValue(M), Samples = r.GetValue(Samples), Classes = r.GetValue(Classes), Dimension = r.GetValue(Dim), Vocab = r.GetValue(Vocab),
        ZipfExponent = r.GetValue(Zipf), K = r.GetValue(K), Inputs = r.GetValue(Inputs)!, Seed = r.GetValue(Seed), RotateSeed = r.GetValue(RotateSeed),
    };

    /// <param name="classesHint">c from a given W (its column count), when the data is the user's.</param>
    /// <param name="precision">the precision the model will compute in (the memory check counts the float32 copies of X).</param>
    /// <returns>the problem; its <see cref="Problem.Info"/> is the description run.json records.</returns>
    public Problem Load(ParseResult r, int? classesHint = null, Precision precision = Precision.Float64)
    {
        string? name = r.GetValue(Problem), xPath = r.GetValue(X), yPath = r.GetValue(Y);
        bool bias = r.GetValue(Bias);
        int? groups = r.GetValue(Groups);
        if (name != null && (xPath != null || yPath != null))
            throw new UserError("give either --problem NAME or --x X.npy --y y.npy, not both.");
        Problem loaded;
        Dictionary<string, object> settings;
        if (name != null)
        {
            // a float32 run's generated inputs in float32 (HT-Random: the float64 X is never formed on the float32 path)
            var options = GeneratorOptions(r, name) with { SingleInputs = precision == Precision.Float32 };
            MemoryCheck.Check(options, precision);
            loaded = Problems.Create(options);
            settings = new Dictionary<string, object> { ["problem"] = loaded.Name };
            foreach (var kv in loaded.Info) settings[kv.Key] = kv.Value;
        }
        else if (xPath != null && yPath != null)
        {
            ProblemOptionUse.Check(null, Given(r));
            loaded = ProblemFiles.LoadArrays(xPath, yPath, r.GetValue(Targets), r.GetValue(LossOption)!, classesHint, precision, Waiting);
            settings = new Dictionary<string, object>(loaded.Info);
        }
        else throw new UserError("no data: give --problem NAME (one of " + string.Join(", ", ProblemCatalog.Names) + ") or --x X.npy --y y.npy.");
        return ProblemFiles.WithBiasAndGroups(loaded, settings, bias, groups);
    }

    /// <summary>
    /// The user's arrays as a grid records them: absolute paths, how they are read (--targets, --loss, --bias, --groups)
    /// and the content hash of <paramref name="loaded"/> (<see cref="ProblemFiles.ContentSha256"/>).
    /// </summary>
    public GridData ArraysOf(ParseResult r, Problem loaded)
    {
        static string Full(string path) => System.IO.Path.GetFullPath(path);
        return new GridData(Full(r.GetValue(X)!), Full(r.GetValue(Y)!), r.GetValue(Targets) is { } t ? Full(t) : null,
            r.GetValue(LossOption)!, r.GetValue(Bias), r.GetValue(Groups), (string)loaded.Info[ProblemFiles.DataHashKey]);
    }
}
