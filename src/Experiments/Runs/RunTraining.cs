using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Gpu;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs;

/// <summary>Observer tables a <see cref="RunSpec"/> can ask for by name (<see cref="RunSpec.Observe"/>).</summary>
public static class RunObservers
{
    /// <summary>The observer tables by name: per-class-stats, heterogeneity, weight-norms.</summary>
    public static IReadOnlyList<string> Names { get; } = [PerClassStatisticsObserver.TableName, HeterogeneityObserver.TableName, WeightNormObserver.TableName];

    /// <summary>The named observer for <paramref name="runs"/> runs on <paramref name="model"/>.</summary>
    public static ITableObserver Create(string name, LinearModel model, int runs) => name switch
    {
        PerClassStatisticsObserver.TableName => new PerClassStatisticsObserver(model, runs),
        HeterogeneityObserver.TableName => new HeterogeneityObserver(model, runs),
        WeightNormObserver.TableName => new WeightNormObserver(model, runs),
        _ => throw new ArgumentException($"unknown observer '{name}'; choose one of: {string.Join(", ", Names)}."),
    };
}

/// <summary>
/// How runs from W = 0 are trained: on X (the primal path: Z = XW, G = XᵀR) or on the Gram matrix K = XXᵀ
/// (<see cref="GramStepper"/>: W = XᵀA, one n × n GEMM per step); <see cref="Auto"/> takes the Gram path where it pays.
/// Both give the same numbers up to rounding, so the path is not part of a run's cache key (as the backend and threads are not).
/// </summary>
public enum TrainingPath
{
    /// <summary>The Gram path where it pays (<see cref="RunTraining.ChoosePath"/>), else the primal one.</summary>
    Auto,
    /// <summary>On X: Z = XW and G = XᵀR every step.</summary>
    Primal,
    /// <summary>On K = XXᵀ: W = XᵀA, one n × n GEMM per step (<see cref="GramStepper"/>).</summary>
    Gram,
}

/// <summary>The names of <see cref="TrainingPath"/> values as <c>--path</c> spells them.</summary>
public static class TrainingPaths
{
    private static readonly string[] NameOf = ["auto", "primal", "gram"];

    /// <summary>auto, primal, gram.</summary>
    public static IReadOnlyList<string> Names => NameOf;

    /// <summary>The name of a path: auto, primal or gram.</summary>
    public static string Name(TrainingPath p) => NameOf[(int)p];

    /// <summary>--path VALUE (a user error names the choices).</summary>
    public static TrainingPath Parse(string text) => Array.IndexOf(NameOf, text) is var i and >= 0 ? (TrainingPath)i
        : throw new UserError($"--path '{text}' must be one of: {string.Join(", ", NameOf)} (auto: the Gram-matrix path where it saves work).");
}

/// <summary>
/// Picks the stepper for runs on one problem from W = 0 and trains them through <see cref="TrainingLoop"/>: resident on the
/// device when the backend is an ILGPU one that has every optimizer (float32) and the Gram path is not asked for; else on
/// the environment's backend, the <see cref="LinearSteppers"/> stepper of the environment's precision (float64: one
/// <see cref="LinearModelStepper"/> run or a <see cref="BatchedLinearStepper"/> batch; float32: a
/// <see cref="BatchedLinearStepper{T}"/> of float) on the primal path, or one <see cref="GramStepper"/> batch (float64) on the
/// Gram path (see <see cref="ChoosePath"/>).
/// </summary>
public static class RunTraining
{
    /// <summary>
    /// Auto takes the Gram path when its multiply-adds, K = XXᵀ once (n²d) + T steps of Q = K·D (n²·R·c) + W = XᵀA (n·d·R·c),
    /// are at most this fraction of the primal path's, 2·n·d·R·c at each of the T + 1 evaluations (per step the Gram path
    /// saves n·R·c·(2d − n): it pays for n &lt; 2d once the steps amortise K). The margin covers the Gram path's extra O(n·R·c)
    /// passes and GEMM shapes that run a little below the primal ones.
    /// </summary>
    public const double GramCostFraction = 0.8;

    /// <summary>Auto takes the Gram path only when its buffers (<see cref="GramStepper.Bytes"/>) take at most this fraction of the free memory.</summary>
    public const double GramMemoryFraction = 0.5;

    /// <summary>True when the runs can train resident on <paramref name="env"/>'s device.</summary>
    public static bool OnDevice(RunEnvironment env, Problem problem, IEnumerable<OptimizerSettings> optimizers) =>
        env.Compute.LinearAlgebra is IlgpuProvider && problem.Loss == LossKind.CrossEntropy && problem.Data.UniformWeights
        && optimizers.All(o => o.Descriptor.Device != null);

    /// <summary>
    /// The precision of the host steppers' arrays: the environment's, except on an ILGPU backend, whose runs that cannot stay
    /// resident keep float64 arrays with every pass rounded to float32 by the provider.
    /// </summary>
    public static Precision HostPrecision(RunEnvironment env) => env.Compute.LinearAlgebra is IlgpuProvider ? Precision.Float64 : env.Compute.Precision;

    /// <summary>
    /// The path R runs of T steps from W = 0 take: <paramref name="requested"/> unless auto (then Gram when every optimizer
    /// has a Gram update, X is not the identity, nothing observes the runs — observers read W = XᵀA at every logged row —,
    /// its buffers fit and it costs at most <see cref="GramCostFraction"/> of the primal multiply-adds). Asking for Gram where
    /// it cannot run is a <see cref="UserError"/>.
    /// </summary>
    /// <remarks>
    /// Under a float32 host precision (<paramref name="precision"/>, `--dtype float32`) the Gram path's GEMMs (K = XXᵀ once,
    /// Q = K·D per step, W = XᵀA on output) and its cross-entropy passes run in float32 through the float32 provider, which
    /// rounds their operands on the way in; A, Z and the optimizer state stay float64 (the primal float32 path keeps its
    /// state in float32). The cost model is the same in both precisions: the two paths' GEMMs scale alike.
    /// </remarks>
    public static TrainingPath ChoosePath(TrainingPath requested, LinearModel model, IReadOnlyList<OptimizerSettings> optimizers, int steps, bool observed = false,
        Precision precision = Precision.Float64)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ChoosePathForSizes(requested, model.N, model.D, model.C, model.Data.IdentityInputs, optimizers, steps, observed, precision, MemoryCheck.AvailableBytes());
    }

    /// <summary>
    /// <see cref="ChoosePath"/> from the sizes alone (no data needed: the planner prices runs it does not generate), with <paramref name="freeBytes"/> of memory.
    /// </summary>
    public static TrainingPath ChoosePathForSizes(TrainingPath requested, long n, long d, long c, bool identityInputs, IReadOnlyList<OptimizerSettings> optimizers,
        int steps, bool observed, Precision precision, double freeBytes)
    {
        ArgumentNullException.ThrowIfNull(optimizers);
        if (requested == TrainingPath.Primal) return TrainingPath.Primal;
        int runs = optimizers.Count, momentumRuns = optimizers.Count(o => o.Descriptor.Kind is OptimizerKind.GdMomentum or OptimizerKind.NormalizedMomentum);
        double bytes = GramStepper.Bytes(n, d, c, runs, momentumRuns), free = freeBytes;
        bool fits = n * n <= Array.MaxLength && n * c * runs <= Array.MaxLength;
        if (requested == TrainingPath.Gram)
        {
            if (optimizers.FirstOrDefault(o => !GramStepper.Supports(o)) is { } bad)
                throw new UserError($"--path gram: {GramStepper.RefusalFor(bad.Name)[..^1]} (--path primal or auto).");
            if (!fits || bytes > free)
                throw new UserError($"--path gram: the Gram matrix of n = {n} samples and its buffers need about {MemoryCheck.Format(bytes)} but {MemoryCheck.Format(free)} is available; use --path primal.");
            return TrainingPath.Gram;
        }
        bool pays = optimizers.All(GramStepper.Supports) && !identityInputs && !observed && fits && bytes <= GramMemoryFraction * free
            && GramStepper.GramMultiplyAdds(n, d, c, runs, steps, GramStepper.GemmsPerStep(optimizers, precision == Precision.Float32))
               <= GramCostFraction * GramStepper.PrimalMultiplyAdds(n, d, c, runs, steps);
        return pays ? TrainingPath.Gram : TrainingPath.Primal;
    }

    /// <summary>Trains the optimizers side by side on <paramref name="model"/> from W = 0 on the environment's path (auto: <see cref="ChoosePath"/>); one result per optimizer.</summary>
    public static IReadOnlyList<TrainingResult> Train(RunEnvironment env, Problem problem, LinearModel model, IReadOnlyList<OptimizerSettings> optimizers,
        TrainingSchedule schedule, IReadOnlyList<ITrainingObserver>? observers = null, Action<int>? progress = null) =>
        TrainWithPath(env, problem, model, optimizers, schedule, observers, progress).Results;

    /// <summary>As <see cref="Train"/>, with the path the runs took (the device trainer is the primal path).</summary>
    public static (IReadOnlyList<TrainingResult> Results, TrainingPath Path) TrainWithPath(RunEnvironment env, Problem problem, LinearModel model,
        IReadOnlyList<OptimizerSettings> optimizers, TrainingSchedule schedule, IReadOnlyList<ITrainingObserver>? observers = null, Action<int>? progress = null)
    {
        bool observed = observers is { Count: > 0 };
        if (env.Compute.LinearAlgebra is IlgpuProvider && optimizers.FirstOrDefault(o => o.Descriptor.CpuOnly) is { } cpuOnly)
            throw new UserError($"{cpuOnly.Name} runs on the CPU only (its Newton–Schulz/SVD steps are not on the device); use --backend cpu or native.");
        if (!observed && env.Path != TrainingPath.Gram && env.Compute.LinearAlgebra is IlgpuProvider gpu && OnDevice(env, problem, optimizers))
        {
            var data = problem.Data;
            var x = new float[data.X.Length];
            for (int i = 0; i < x.Length; i++) x[i] = (float)data.X[i];
            var groupOfSample = data.Labels.Select(y => problem.Groups.GroupOf[y]).ToArray();
            using var device = new DeviceSoftmaxTrainer(gpu, x, data.Labels, data.N, data.D, data.C, optimizers, groupOfSample);
            return (TrainingLoop.Run(device, schedule, observers, progress, env.Cancel), TrainingPath.Primal);
        }
        var path = ChoosePath(env.Path, model, optimizers, schedule.Steps, observed, HostPrecision(env));
        var stepper = CreateStepper(path, model, optimizers, problem.Groups, HostPrecision(env));
        return (TrainingLoop.Run(stepper, schedule, observers, progress, env.Cancel), path);
    }

    /// <summary>
    /// The host stepper of a path that is not auto: a <see cref="GramStepper"/> batch (from W = 0), or the
    /// <see cref="LinearSteppers"/> stepper of <paramref name="precision"/> from <paramref name="w0"/> (zeros when null).
    /// </summary>
    public static IStepper CreateStepper(TrainingPath path, LinearModel model, IReadOnlyList<OptimizerSettings> optimizers, FrequencyGroups groups,
        Precision precision, double[]? w0 = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizers);
        if (path == TrainingPath.Auto) throw new ArgumentException("choose the path first (ChoosePath).", nameof(path));
        if (path == TrainingPath.Gram && w0 != null) throw new ArgumentException("the Gram path starts from W = 0.", nameof(w0));
        return path == TrainingPath.Gram ? new GramStepper(model, optimizers, groups)
            : LinearSteppers.Create(model, optimizers.Select(o => o.Create(model)).ToList(), groups, precision, w0);
    }
}
