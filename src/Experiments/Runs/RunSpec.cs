using System.Security.Cryptography;
using System.Text;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Runs;

/// <summary>What the run cache needs of a run's definition: its canonical text (the key's preimage), optimizer and budget.</summary>
public interface IRunSpec
{
    OptimizerSettings Optimizer { get; }
    int Steps { get; }
    int LogEvery { get; }
    string Canonical();
    string Key() => HashKey(Canonical());

    /// <summary>The cache key: the first 20 hex digits of SHA-256 of the canonical text.</summary>
    static string HashKey(string canonical) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..20].ToLowerInvariant();
}

/// <summary>What defines a training run: the problem (generator options), the optimizer settings, steps and logging.</summary>
public sealed record RunSpec(ProblemOptions Problem, OptimizerSettings Optimizer, int Steps, int LogEvery) : IRunSpec
{
    /// <summary>float64, or float32 when the backend at construction computes in float32 (part of the key only then, so float64 keys are unchanged).</summary>
    public string Precision { get; init; } = Analytic.LinearAlgebra.LinearAlgebraControl.Provider.SinglePrecision ? "float32" : "float64";

    /// <summary>Canonical text of every setting (invariant culture, round-trip numbers): the cache key's preimage.</summary>
    public string Canonical()
    {
        string N(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var p = Problem; var o = Optimizer;
        return $"problem={p.Name};m={p.M};samples={p.Samples};classes={p.Classes};dim={p.Dimension};a={N(p.ZipfExponent)};k={p.K};inputs={p.Inputs};seed={p.Seed};" +
               OptimizerCanonical(o) +
               $"steps={Steps};log={LogEvery};v=1" + (Precision == "float64" ? "" : $";precision={Precision}");
    }

    public string Key() => IRunSpec.HashKey(Canonical());

    /// <summary>The optimizer part of a canonical text (shared by every kind of run).</summary>
    public static string OptimizerCanonical(OptimizerSettings o)
    {
        string N(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return $"opt={o.Name};lr={N(o.Lr)};mom={N(o.Momentum)};b1={N(o.Beta1)};b2={N(o.Beta2)};eps={(o.Eps is double e ? N(e) : "default")};";
    }
}

/// <summary>A finished (or diverged) run as stored in the cache.</summary>
public sealed record RunRecord(IRunSpec Spec, IReadOnlyList<TrainingRow> Rows, bool Diverged, double WallSeconds)
{
    public double InitialLoss => Rows[0].Loss;
    public double FinalLoss => Rows[^1].Loss;
    /// <summary>The grid rule's score: the final loss, or the initial loss for a diverged run.</summary>
    public double Score => Diverged || !double.IsFinite(FinalLoss) ? InitialLoss : FinalLoss;
}

/// <summary>Problems built once per process and shared by all runs on them (data generation is deterministic).</summary>
public static class ProblemCache
{
    private static readonly Dictionary<(ProblemOptions, string), (Problem, LinearModel)> Cache = new();

    /// <summary>The problem and a model on the current backend (<see cref="Analytic.LinearAlgebra.LinearAlgebraControl.Provider"/>).</summary>
    public static (Problem Problem, LinearModel Model) Get(ProblemOptions o)
    {
        var la = Analytic.LinearAlgebra.LinearAlgebraControl.Provider;
        lock (Cache)
        {
            if (Cache.TryGetValue((o, la.Name), out var hit)) return hit;
            var p = Problems.Create(o);
            var entry = (p, LinearModel.Create(p.Loss, p.Data, la));
            if (Cache.Count > 8) Cache.Clear();
            Cache[(o, la.Name)] = entry;
            return entry;
        }
    }
}
