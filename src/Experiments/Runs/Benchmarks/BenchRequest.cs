using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Experiments.Runs.Benchmarks;

/// <summary>What <see cref="Benchmark.Run"/> measures: HT-Random sizes, precisions, backends, and the optional parts.</summary>
public sealed record BenchRequest
{
    /// <summary>HT-Random sizes m (each in <see cref="Problems.MinM"/>..<see cref="Problems.MaxM"/>), measured in increasing order.</summary>
    public required IReadOnlyList<int> Sizes { get; init; }
    /// <summary>The precisions, float32 and/or float64.</summary>
    public IReadOnlyList<Precision> Precisions { get; init; } = [Precision.Float32, Precision.Float64];
    /// <summary>Backend names (cpu, native, or registered ones such as gpu); one that cannot open is skipped with a message.</summary>
    public IReadOnlyList<string> Backends { get; init; } = ["cpu", "native"];
    /// <summary>Timed repetitions per measurement (at least 5; the median is reported).</summary>
    public int Reps { get; init; } = 5;
    /// <summary>Run the PyTorch/NumPy peers (bench/peers.py) in the same run.</summary>
    public bool Peers { get; init; } = true;
    /// <summary>The training paths to time one step and the setup of (K = XXᵀ on the Gram path) on the real steppers; empty: none.</summary>
    public IReadOnlyList<TrainingPath> Paths { get; init; } = [];
    /// <summary>Also time the training loop `train` runs, per path in <see cref="Paths"/>: setup before the first step and seconds per step.</summary>
    public bool Train { get; init; }
    /// <summary>Steps of each train row (the first carries the setup; the others give the steady-state step).</summary>
    public int TrainSteps { get; init; } = 4;
    /// <summary>R &gt; 0: also time a step-size grid of R GD runs of 100 steps, batched and one after another.</summary>
    public int GridRuns { get; init; }
    /// <summary>Also time Hessian spectra (float64, first backend).</summary>
    public bool Spectra { get; init; }
    /// <summary>Threads of every backend (null: every core).</summary>
    public int? Threads { get; init; }
    /// <summary>The folder holding bench/peers.py.</summary>
    public string RepositoryRoot { get; init; } = ".";

    /// <summary>Refuses (one <see cref="UserError"/> line) a request that cannot run.</summary>
    public void Validate()
    {
        if (Sizes.Count == 0) throw new UserError("--sizes: give at least one size m.");
        if (Sizes.Where(m => m is < Problems.MinM or > Problems.MaxM).Select(m => (int?)m).FirstOrDefault() is int bad)
            throw new UserError($"--sizes: {bad} is not a size m in {Problems.MinM}..{Problems.MaxM}.");
        if (Paths.Contains(TrainingPath.Auto)) throw new UserError("--paths: name primal and/or gram (auto picks one of them per run).");
        if (Train && Paths.Count == 0) throw new UserError("--train times the training loop per path: give --paths primal,gram too.");
        if (TrainSteps < 2) throw new UserError($"--train-steps {TrainSteps} must be at least 2 (the first step carries the setup).");
        if (GridRuns < 0) throw new UserError($"--grid {GridRuns} must be 0 (off) or a run count.");
    }
}

/// <summary>
/// What <see cref="Benchmark.Run"/> measured, as rows of named values (the JSON lines `bench --out` writes): per backend,
/// precision and size the step row; the path rows (kind "path"), train rows (kind "train"), grid and spectra rows; the
/// CPU's FMA peaks measured in the same process; what `--backend auto` picks and which kernels OpenBLAS runs.
/// </summary>
public sealed record BenchResult(
    IReadOnlyList<Dictionary<string, object?>> Steps,
    IReadOnlyList<Dictionary<string, object?>> Paths,
    IReadOnlyList<Dictionary<string, object?>> Train,
    IReadOnlyList<Dictionary<string, object?>> Grid,
    IReadOnlyList<Dictionary<string, object?>> Spectra,
    IReadOnlyDictionary<string, double> MachinePeaks,
    string AutoChoice,
    string? OpenBlas)
{
    /// <summary>Every row in the order measured.</summary>
    public IEnumerable<Dictionary<string, object?>> All => Steps.Concat(Paths).Concat(Train).Concat(Grid).Concat(Spectra);
}
