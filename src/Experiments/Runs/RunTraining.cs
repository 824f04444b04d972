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
    public static IReadOnlyList<string> Names { get; } = [PerClassStatisticsObserver.TableName, HeterogeneityObserver.TableName, WeightNormObserver.TableName];

    public static ITableObserver Create(string name, LinearModel model, int runs) => name switch
    {
        PerClassStatisticsObserver.TableName => new PerClassStatisticsObserver(model, runs),
        HeterogeneityObserver.TableName => new HeterogeneityObserver(model, runs),
        WeightNormObserver.TableName => new WeightNormObserver(model, runs),
        _ => throw new ArgumentException($"unknown observer '{name}'; choose one of: {string.Join(", ", Names)}."),
    };
}

/// <summary>
/// Picks the stepper for runs on one problem from W = 0 and trains them through <see cref="TrainingLoop"/>: resident on the
/// device when the backend is an ILGPU one that has every optimizer (float32), else the <see cref="LinearSteppers"/> stepper
/// of the environment's precision on its backend (float64: one <see cref="LinearModelStepper"/> run or a
/// <see cref="BatchedLinearStepper"/> batch; float32: a <see cref="BatchedLinearStepper{T}"/> of float).
/// </summary>
public static class RunTraining
{
    /// <summary>True when the runs can train resident on <paramref name="env"/>'s device.</summary>
    public static bool OnDevice(RunEnvironment env, Problem problem, IEnumerable<OptimizerSettings> optimizers) =>
        env.Compute.LinearAlgebra is IlgpuProvider && problem.Loss == LossKind.CrossEntropy && problem.Data.UniformWeights
        && optimizers.All(o => o.Descriptor.Device != null);

    /// <summary>
    /// The precision of the host steppers' arrays: the environment's, except on an ILGPU backend, whose runs that cannot stay
    /// resident keep float64 arrays with every pass rounded to float32 by the provider.
    /// </summary>
    public static Precision HostPrecision(RunEnvironment env) => env.Compute.LinearAlgebra is IlgpuProvider ? Precision.Float64 : env.Compute.Precision;

    public static IReadOnlyList<TrainingResult> Train(RunEnvironment env, Problem problem, LinearModel model, IReadOnlyList<OptimizerSettings> optimizers,
        TrainingSchedule schedule, IReadOnlyList<ITrainingObserver>? observers = null, Action<int>? progress = null)
    {
        if (observers is not { Count: > 0 } && env.Compute.LinearAlgebra is IlgpuProvider gpu && OnDevice(env, problem, optimizers))
        {
            var data = problem.Data;
            var x = new float[data.X.Length];
            for (int i = 0; i < x.Length; i++) x[i] = (float)data.X[i];
            var groupOfSample = data.Labels.Select(y => problem.Groups.GroupOf[y]).ToArray();
            using var device = new DeviceSoftmaxTrainer(gpu, x, data.Labels, data.N, data.D, data.C, optimizers, groupOfSample);
            return TrainingLoop.Run(device, schedule, observers, progress, env.Cancel);
        }
        var stepper = LinearSteppers.Create(model, optimizers.Select(o => o.Create(model)).ToList(), problem.Groups, HostPrecision(env));
        return TrainingLoop.Run(stepper, schedule, observers, progress, env.Cancel);
    }
}
