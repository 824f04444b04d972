using HeavyTail.Analytic.Data;
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
/// device when the backend is an ILGPU one that has every optimizer (float32), else one <see cref="LinearModelStepper"/> run
/// or one <see cref="BatchedLinearStepper"/> batch on the environment's backend.
/// </summary>
public static class RunTraining
{
    /// <summary>True when the runs can train resident on <paramref name="env"/>'s device.</summary>
    public static bool OnDevice(RunEnvironment env, Problem problem, IEnumerable<OptimizerSettings> optimizers) =>
        env.Compute.LinearAlgebra is IlgpuProvider && problem.Loss == LossKind.CrossEntropy && problem.Data.UniformWeights
        && optimizers.All(o => o.Descriptor.Device != null);

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
        IStepper stepper = optimizers.Count == 1
            ? new LinearModelStepper(model, optimizers[0].Create(model), problem.Groups)
            : new BatchedLinearStepper(model, optimizers.Select(o => o.Create(model)).ToList(), problem.Groups);
        return TrainingLoop.Run(stepper, schedule, observers, progress, env.Cancel);
    }
}
