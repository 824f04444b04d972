using System.Security.Cryptography;
using System.Text;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs;

/// <summary>What the run cache needs of a run's definition: its canonical text (the key's preimage), optimizer and budget.</summary>
public interface IRunSpec
{
    /// <summary>The optimizer and its hyper-parameters.</summary>
    OptimizerSettings Optimizer { get; }
    /// <summary>The number of steps.</summary>
    int Steps { get; }
    /// <summary>The logging period in steps.</summary>
    int LogEvery { get; }
    /// <summary>The canonical text of every setting that shapes the run (invariant culture, round-trip numbers): the key's preimage.</summary>
    string Canonical();
    /// <summary>The cache key, <see cref="HashKey"/> of <see cref="Canonical"/>.</summary>
    string Key() => HashKey(Canonical());

    /// <summary>The observer table recorded with the run (stored and checked by the run cache), or null.</summary>
    string? Observe => null;

    /// <summary>The cache key: the first 20 hex digits of SHA-256 of the canonical text.</summary>
    static string HashKey(string canonical) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..20].ToLowerInvariant();
}

/// <summary>
/// What defines a training run: the problem (generator options), the optimizer settings, steps and logging, the precision
/// it is computed in, and the tables observed along it (<see cref="Observe"/>: e.g. per-class statistics).
/// </summary>
public sealed record RunSpec(ProblemOptions Problem, OptimizerSettings Optimizer, int Steps, int LogEvery) : IRunSpec
{
    /// <summary>float64 by default; part of the key only when float32, so float64 keys are unchanged.</summary>
    public Precision Precision { get; init; } = Precision.Float64;

    /// <summary>Observer tables recorded with the run (<see cref="RunObservers"/>); part of the key only when not empty.</summary>
    public string? Observe { get; init; }

    /// <summary>Canonical text of every setting (invariant culture, round-trip numbers): the cache key's preimage.</summary>
    public string Canonical()
    {
        string N(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var p = Problem; var o = Optimizer;
        return $"problem={p.Name};m={p.M};samples={p.Samples};classes={p.Classes};dim={p.Dimension};a={N(p.ZipfExponent)};k={p.K};inputs={p.Inputs};seed={p.Seed};" + (p.Vocab is int v ? $"vocab={v};" : "") + (p.RotateSeed is long rs ? $"rotate={rs};" : "") +
               OptimizerCanonical(o) +
               $"steps={Steps};log={LogEvery};v=1" + (Precision == Precision.Float64 ? "" : ";precision=float32") +
               (Observe is { } obs ? $";observe={obs}" : "");
    }

    /// <inheritdoc/>
    public string Key() => IRunSpec.HashKey(Canonical());

    /// <summary>The optimizer part of a canonical text (shared by every kind of run).</summary>
    public static string OptimizerCanonical(OptimizerSettings o)
    {
        string N(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var uses = OptimizerCatalog.Find(o.Name)?.Uses ?? HyperParameters.None;
        // Nesterov and weight decay enter only for the kinds that read them, so every older key stays as it was
        return $"opt={o.Name};lr={N(o.Lr)};mom={N(o.Momentum)};b1={N(o.Beta1)};b2={N(o.Beta2)};eps={(o.Eps is double e ? N(e) : "default")};" +
               (uses.HasFlag(HyperParameters.Nesterov) ? $"nesterov={(o.Nesterov ? 1 : 0)};" : "") +
               (uses.HasFlag(HyperParameters.WeightDecay) ? $"wd={N(o.WeightDecay)};" : "");
    }
}

/// <summary>
/// A training run from W = 0 on the user's arrays (--x/--y): the data enter the key by their content hash
/// (<see cref="ProblemFiles.ContentSha256"/>), not their path, so a changed file gets new keys and a moved one keeps them.
/// </summary>
/// <param name="DataSha256">the content hash of X, y (and the targets).</param>
/// <param name="DataSettings">what else shapes the run on those arrays: loss, bias, frequency groups (canonical text).</param>
public sealed record ArraysRunSpec(string DataSha256, string DataSettings, OptimizerSettings Optimizer, int Steps, int LogEvery) : IRunSpec
{
    /// <summary>float64 by default; part of the key only when float32.</summary>
    public Precision Precision { get; init; } = Precision.Float64;

    /// <inheritdoc/>
    public string Canonical() =>
        $"data_sha256={DataSha256};{DataSettings};" + RunSpec.OptimizerCanonical(Optimizer) +
        $"steps={Steps};log={LogEvery};v=1" + (Precision == Precision.Float64 ? "" : ";precision=float32");

    /// <inheritdoc/>
    public string Key() => IRunSpec.HashKey(Canonical());

    /// <summary>The canonical text of the settings besides the arrays: "loss=…;bias=…;groups=K".</summary>
    public static string Settings(Problem p) => $"loss={p.Loss};bias={p.Data.HasBias};groups={p.Groups.K}";
}

/// <summary>A finished (or diverged) run as stored in the cache, with the tables its observers recorded.</summary>
public sealed record RunRecord(IRunSpec Spec, IReadOnlyList<TrainingRow> Rows, bool Diverged, double WallSeconds)
{
    /// <summary>The loss at W₀ (row 0).</summary>
    public double InitialLoss => Rows[0].Loss;
    /// <summary>The loss at the last logged row.</summary>
    public double FinalLoss => Rows[^1].Loss;
    /// <summary>The grid rule's score: the final loss, or the initial loss for a diverged run.</summary>
    public double Score => Diverged || !double.IsFinite(FinalLoss) ? InitialLoss : FinalLoss;

    /// <summary>The path the run was trained on ("primal", "gram"); null for an entry stored before paths were recorded.</summary>
    public string? Path { get; init; }

    /// <summary>Observer tables by name (header, rows).</summary>
    public IReadOnlyDictionary<string, (string[] Header, IReadOnlyList<double[]> Rows)> Tables { get; init; } =
        new Dictionary<string, (string[], IReadOnlyList<double[]>)>();
}

/// <summary>
/// Problems built once per environment and shared by all runs on them (data generation is deterministic), each with a
/// model on the environment's backend. Thread-safe.
/// </summary>
public sealed class ProblemCache(ComputeContext compute)
{
    /// <summary>Problems kept at once: a grid over seeds touches a few; the paper-scale data is gigabytes each.</summary>
    private const int Capacity = 8;

    private readonly Dictionary<ProblemOptions, (Problem, LinearModel)> _cache = new();

    /// <summary>The problem of these options and its model, generated on first use.</summary>
    public (Problem Problem, LinearModel Model) Get(ProblemOptions o)
    {
        lock (_cache)
        {
            if (_cache.TryGetValue(o, out var hit)) return hit;
            var p = Problems.Create(o);
            var entry = (p, LinearModel.Create(p.Loss, p.Data, compute));
            if (_cache.Count >= Capacity) _cache.Clear();
            _cache[o] = entry;
            return entry;
        }
    }
}

/// <summary>
/// Where runs execute and report: the compute context (backend, precision, threads), the problems built on it, a
/// cancellation token and a progress log. Passed down explicitly from the CLI (or a test).
/// </summary>
public sealed class RunEnvironment(ComputeContext compute, CancellationToken cancel = default, Action<string>? log = null)
{
    /// <summary>The backend, precision and threads of every run here.</summary>
    public ComputeContext Compute { get; } = compute ?? throw new ArgumentNullException(nameof(compute));
    /// <summary>The problems built on <see cref="Compute"/>, shared by the runs.</summary>
    public ProblemCache Problems { get; } = new(compute);
    /// <summary>Cancels training between steps.</summary>
    public CancellationToken Cancel { get; } = cancel;
    /// <summary>Progress messages (ignored by default).</summary>
    public Action<string> Log { get; } = log ?? (_ => { });

    /// <summary>Primal, Gram or auto (<see cref="RunTraining.ChoosePath"/>) for the runs trained here; not part of their cache keys.</summary>
    public TrainingPath Path { get; init; } = TrainingPath.Auto;

    /// <summary>
    /// A test hook (mutation testing of recipe readings): checks and claims for which it returns true, given (recipe, check
    /// name), are recorded as failed whatever was measured. Null in every real run.
    /// </summary>
    public Func<string, string, bool>? ForcedFailures { get; init; }

    /// <summary>The same environment (context, problems, log) training on <paramref name="path"/>.</summary>
    public RunEnvironment WithPath(TrainingPath path) => new(Compute, Cancel, Log, Problems) { Path = path, ForcedFailures = ForcedFailures };

    /// <summary>A run spec in this environment's precision.</summary>
    public RunSpec Spec(ProblemOptions problem, OptimizerSettings optimizer, int steps, int logEvery, string? observe = null) =>
        new(problem, optimizer, steps, logEvery) { Precision = Compute.Precision, Observe = observe };

    /// <summary>The same environment with another log.</summary>
    public RunEnvironment WithLog(Action<string>? log) => new(Compute, Cancel, log, Problems) { Path = Path, ForcedFailures = ForcedFailures };

    private RunEnvironment(ComputeContext compute, CancellationToken cancel, Action<string>? log, ProblemCache problems) : this(compute, cancel, log) =>
        Problems = problems;
}
