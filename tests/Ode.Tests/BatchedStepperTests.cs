using HeavyTail.Tests.Shared;
using HeavyTail.Ode.Training;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Ode.Tests;

public class BatchedStepperTests
{
    public static IEnumerable<object[]> Problems_() =>
    [
        [Problems.HtRandom(4, seed: 1)],
        [Problems.OneHot(12, 1.0)],
        [Problems.HtIdentity(1)],
    ];

    [Theory]
    [MemberData(nameof(Problems_))]
    public void Batched_runs_match_runs_done_one_after_another(Problem p)
    {
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var settings = new[] { new OptimizerSettings("gd", 0.3), new OptimizerSettings("adam", 0.01), new OptimizerSettings("sign", 0.02),
                               new OptimizerSettings("gd-m", 0.1), new OptimizerSettings("gd", 1e308) };
        var batched = TrainingLoop.Run(new BatchedLinearStepper(model, settings.Select(s => s.Create(model)).ToList(), p.Groups), new TrainingSchedule(25, 4));
        for (int r = 0; r < settings.Length; r++)
        {
            var single = TrainingLoop.RunOne(new LinearModelStepper(model, settings[r].Create(model), p.Groups), new TrainingSchedule(25, 4));
            Assert.Equal(single.Diverged, batched[r].Diverged);
            Assert.Equal(single.Rows.Select(x => x.Step), batched[r].Rows.Select(x => x.Step));
            for (int i = 0; i < single.Rows.Count; i++)
            {
                double a = single.Rows[i].Loss, b = batched[r].Rows[i].Loss;
                if (!double.IsFinite(a)) { Assert.False(double.IsFinite(b)); continue; }
                // the wide GEMM may block the sums differently: agreement to rounding, amplified over 25 steps
                Assert.True(Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a)), $"{settings[r].Name} step {single.Rows[i].Step}: {a} vs {b}");
                for (int g = 0; g < p.Groups.K; g++)
                    Assert.True(Math.Abs(single.Rows[i].GroupLosses[g] - batched[r].Rows[i].GroupLosses[g]) <= 1e-9 * Math.Max(1, Math.Abs(a)), $"group {g}");
            }
        }
        // η = 1e308 overflows the logits of the data problems; on the one-hot model the margin stays finite (p saturates, g → 0)
        Assert.Equal(p.Name != "one-hot", batched[^1].Diverged);
        Assert.False(batched[0].Diverged);
    }
}
