using HeavyTail.Tests.Shared;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;
using HeavyTail.Analytic.Theory;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Ode.Tests;

/// <summary>The training loop's observers against direct computations at the same iterates.</summary>
public class ObserverTests
{
    [Fact]
    public void Statistics_and_heterogeneity_observers_equal_direct_computations_along_the_run()
    {
        var p = Problems.HtRandom(3, seed: 4);
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var stats = new PerClassStatisticsObserver(model);
        var het = new HeterogeneityObserver(model);
        var result = TrainingLoop.RunOne(new LinearModelStepper(model, new Adam(0.05), p.Groups), new TrainingSchedule(12, 4), [stats, het]);
        Assert.Equal([0, 4, 8, 12], stats.Rows(0).Select(r => (int)r[0]));
        Assert.Equal([0, 4, 8, 12], het.Rows(0).Select(r => (int)r[0]));
        // replay the run by hand and compare at the logged steps
        var w = new double[model.ParameterCount]; var g = new double[w.Length]; var adam = new Adam(0.05);
        for (int t = 0, row = 0; t <= 12; t++)
        {
            if (t % 4 == 0)
            {
                var s = PerClassStatistics.Compute(model, w);
                Assert.Equal(s.Loss, stats.Rows(0)[row][1]);
                Assert.Equal(s.Heterogeneity.CoefficientOfVariation, stats.Rows(0)[row][4]);
                Assert.Equal(s.Heterogeneity.CoefficientOfVariation, het.Rows(0)[row][1], 14);
                Assert.Equal(s.Heterogeneity.MaxMinRatio, het.Rows(0)[row][2], 12);
                Assert.Equal(s.PerClassGradNorm, stats.Rows(0)[row][6..(6 + model.C)]);
                row++;
            }
            if (t == 12) break;
            model.LossAndGradient(w, g);
            adam.Step(w, g);
        }
        Assert.Equal(w, result.W);
    }

    [Fact]
    public void Theory_overlay_records_the_closed_form_at_eta_times_step()
    {
        const int c = 6;
        var p = Problems.OneHot(c, 1.0);
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var pi = p.Data.ClassMass;
        var overlay = new TheoryOverlayObserver(model, (t, k) => OneHotTheory.GradientFlowLoss(t, pi[k], c), 0.1);
        int[] steps = [0, 1, 10, 100];
        TrainingLoop.RunOne(new LinearModelStepper(model, new GradientDescent(0.1), p.Groups), TrainingSchedule.AtSteps(steps), [overlay]);
        var rows = overlay.Rows(0);
        Assert.Equal(steps, rows.Select(r => (int)r[0]));
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(steps[i] * 0.1, rows[i][1]);
            for (int k = 0; k < c; k++) Assert.Equal(OneHotTheory.GradientFlowLoss(steps[i] * 0.1, pi[k], c), rows[i][2 + c + k]);
        }
        // at t = 0 both are log c exactly; small η keeps GD on its flow: a few percent at most over t ≤ 10
        Assert.Equal(Math.Log(c), rows[0][2], 15);
        Assert.InRange(overlay.MaxRelativeDeviation(0), 1e-6, 0.05);
    }

    [Fact]
    public void Schedule_at_steps_logs_exactly_those_and_stops_at_the_last()
    {
        var s = TrainingSchedule.AtSteps([0, 3, 7]);
        Assert.Equal(7, s.Steps);
        Assert.Equal([true, false, false, true, false, false, false, true], Enumerable.Range(0, 8).Select(s.IsLogged));
        Assert.Throws<ArgumentException>(() => TrainingSchedule.AtSteps([]));
        Assert.Throws<ArgumentException>(() => new TrainingSchedule(-1));
        Assert.Throws<ArgumentException>(() => new TrainingSchedule(5, 0));
    }
}
