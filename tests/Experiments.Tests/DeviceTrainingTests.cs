using HeavyTail.Ode.Training;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Runs;
using HeavyTail.Gpu;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Tests;

/// <summary>Runs on an ILGPU backend train resident on the device (DeviceSoftmaxTrainer through the training loop) and give BatchedLinearStepper's rows at float32 accuracy; they are cached apart.</summary>
public class DeviceTrainingTests
{
    private static readonly ProblemOptions Small = new() { Name = "ht-random", M = 3, Seed = 2 };

    [Fact]
    public void Device_rows_match_the_batched_float64_trainer()
    {
        var problem = Problems.Create(Small);
        var model = Analytic.Models.LinearModel.Create(problem.Loss, problem.Data, new ManagedLinearAlgebraProvider());
        OptimizerSettings[] settings = [new("gd", 1.0), new("adam", 0.01), new("sign-m", 0.003), new("gd", 1e38)];
        using var gpu = IlgpuProvider.Create(preferCuda: false);
        using var onDevice = new ComputeContext(gpu, ownsProvider: false);
        using var onCpu = ComputeContext.Managed();
        var env = new RunEnvironment(onDevice);
        Assert.True(RunTraining.OnDevice(env, problem, settings));
        Assert.False(RunTraining.OnDevice(env, problem, [new OptimizerSettings("pcngd", 1)]));
        Assert.False(RunTraining.OnDevice(new RunEnvironment(onCpu), problem, settings));
        var device = RunTraining.Train(env, problem, model, settings, new TrainingSchedule(10, 3));
        var reference = TrainingLoop.Run(new BatchedLinearStepper(model, settings.Select(s => s.Create(model)).ToList(), problem.Groups), new TrainingSchedule(10, 3));
        for (int r = 0; r < 3; r++)
        {
            Assert.False(device[r].Diverged);
            Assert.Equal(reference[r].Rows.Select(x => x.Step), device[r].Rows.Select(x => x.Step));   // 0, 3, 6, 9, 10
            foreach (var (a, b) in reference[r].Rows.Zip(device[r].Rows))
            {
                // float32 budget as in Gpu.Tests' DeviceTrainerTests: ≈ 1e-5 relative after 10 steps; 1e-4 leaves room
                Assert.True(Math.Abs(a.Loss - b.Loss) <= 1e-4 * a.Loss, $"{settings[r].Name} step {a.Step}: {b.Loss} vs {a.Loss}");
                for (int g = 0; g < a.GroupLosses.Length; g++)
                    Assert.True(Math.Abs(a.GroupLosses[g] - b.GroupLosses[g]) <= 1e-4 * a.GroupLosses[g], $"{settings[r].Name} step {a.Step} group {g}");
            }
            for (int i = 0; i < reference[r].W.Length; i++)
                Assert.True(Math.Abs(reference[r].W[i] - device[r].W[i]) <= 1e-4 * (1 + Math.Abs(reference[r].W[i])));
        }
        // η = 1e38 overflows the float32 logits within a few steps: diverged there, recorded with a non-finite loss, like the CPU trainers
        Assert.True(device[3].Diverged);
        Assert.InRange(device[3].StepsDone, 1, 3);
        Assert.False(double.IsFinite(device[3].Rows[^1].Loss));
    }

    [Fact]
    public void Grid_on_the_ilgpu_backend_runs_resident_and_is_cached_apart_from_float64()
    {
        string dir = CliHarness.TempDir();
        string[] common = ["grid", "--problem", "ht-random", "--m", "3", "--optimizer", "adam", "--steps", "8", "--seeds", "1", "--quiet", "--out", dir];
        var gpu = CliHarness.Run([.. common, "--backend", "ilgpu-cpu"]);
        Assert.True(gpu.Code == 0, gpu.Err);
        var cache = Path.Combine(dir, "_cache");
        int afterGpu = Directory.GetFiles(cache, "*.json").Length;
        Assert.True(afterGpu > 0);
        var cpu = CliHarness.Run([.. common, "--backend", "cpu"]);
        Assert.True(cpu.Code == 0, cpu.Err);
        // the float64 runs are new entries (the float32 ones carry precision=float32 in their key), not cache hits
        Assert.Equal(2 * afterGpu, Directory.GetFiles(cache, "*.json").Length);
    }
}
