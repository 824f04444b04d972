using System.Text.Json;
using HeavyTail.Analytic.Data;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Tests;

/// <summary>The stability rule of Appendix A.4 on top of the final-loss rule.</summary>
public class StabilityRuleTests
{
    private static readonly ProblemOptions Tiny = new() { Name = "zipf", Classes = 4, Samples = 40, Dimension = 3 };

    private static RunRecord Run(double lr, bool diverged, params double[] losses) =>
        new(new RunSpec(Tiny, new OptimizerSettings("gd", lr), losses.Length - 1, 1),
            losses.Select((l, t) => new TrainingRow(t, l, [l])).ToList(), diverged, 0);

    [Theory]
    [InlineData(false, true, 4.0, 3.0, 2.0, 1.0)]              // monotone decrease
    [InlineData(false, true, 4.0, 3.0, 3.2, 1.0)]              // rise 0.2 ≤ 10 % of the decrease 3.0
    [InlineData(false, false, 4.0, 3.0, 3.4, 1.0)]             // rise 0.4 > 0.3
    [InlineData(false, false, 4.0, 4.3, 2.0, 1.0)]             // 4.3 > 1.05 × 4
    [InlineData(false, true, 4.0, 4.0, 4.0)]                   // no change at all
    [InlineData(false, false, 4.0, 4.1, 4.0)]                  // rises without decreasing
    [InlineData(true, false, 4.0, 3.0, 2.0)]                   // diverged
    public void Criterion_by_its_definition(bool diverged, bool stable, params double[] losses) =>
        Assert.Equal(stable, StabilityCriterion.Default.IsStable(Run(0.1, diverged, losses)));

    [Fact]
    public void Thresholds_are_settable()
    {
        var zigzag = Run(0.1, false, 4.0, 3.0, 3.4, 1.0);
        Assert.True(new StabilityCriterion(MaxRiseFraction: 0.2).IsStable(zigzag));
        Assert.False(new StabilityCriterion(MaxLossFactor: 1.0).IsStable(Run(0.1, false, 4.0, 4.01, 1.0)));
    }

    /// <summary>A synthetic grid: the lowest final loss at η = 0.1, whose run zigzags; η = 0.1/√10 is stable and not on the coarse grid.</summary>
    private static RunRecord Synthetic(double lr, long seed, List<double> trained)
    {
        trained.Add(lr);
        double e = Math.Log10(lr);
        if (e > -0.9) return Run(lr, true, 4.0, double.NaN);                            // η ≥ 1/√10 … diverges
        if (Math.Abs(e + 1) < 1e-9) return Run(lr, false, 4.0, 1.0, 3.0, 0.5);          // η = 0.1: lowest final loss, unstable
        double final = 1.0 + Math.Abs(e + 1.5);                                         // smooth runs, best near 10^-1.5
        return Run(lr, false, 4.0, (4.0 + final) / 2, final);
    }

    [Fact]
    public void Selects_the_largest_stable_step_size_below_the_best_and_trains_the_missing_half_power()
    {
        var trained = new List<double>();
        var g = GridSearch.Run("gd", [0L], (lr, s) => Synthetic(lr, s, trained));
        Assert.Equal(0.1, g.BestLr, 12);
        Assert.Equal(0.1 / Math.Sqrt(10), g.SelectedLr, 12);
        Assert.Contains(0.1, g.UnstableLrs);
        Assert.False(g.NoStableStepSize);
        Assert.True(g.Selected.IsStable(g.Stability));
        Assert.Contains(trained, lr => Math.Abs(lr - 0.1 / Math.Sqrt(10)) < 1e-12);

        var off = GridSearch.Run("gd", [0L], (lr, s) => Synthetic(lr, s, []), stabilityOff: true);
        Assert.Equal(off.BestLr, off.SelectedLr);
        Assert.Empty(off.UnstableLrs);
        Assert.Null(off.Stability);
    }

    [Fact]
    public void Goes_down_the_half_power_ladder_training_step_sizes_the_grid_did_not_have()
    {
        // lowest final loss at 10^-1.5 (a refined half-power), unstable there and at 10^-2; 10^-2.5 is neither on the
        // coarse grid nor among the refined points, and is the first stable one
        var trained = new List<double>();
        RunRecord Runs(double lr)
        {
            trained.Add(lr);
            double e = Math.Log10(lr);
            if (e > -1.4) return Run(lr, true, 4.0, double.NaN);
            if (e > -2.2) return Run(lr, false, 4.0, 1.0, 3.0, 0.4 + Math.Abs(e + 1.5));   // zigzags
            return Run(lr, false, 4.0, 3.0, 2.0 + Math.Abs(e + 2.5));
        }
        var g = GridSearch.Run("gd", [0L], (lr, _) => Runs(lr));
        Assert.Equal(Math.Pow(10, -1.5), g.BestLr, 12);
        Assert.Equal(Math.Pow(10, -2.5), g.SelectedLr, 12);
        Assert.Single(trained, lr => Math.Abs(Math.Log10(lr) + 2.5) < 1e-9);
        Assert.Equal(g.Points.Count, trained.Count);
    }

    [Fact]
    public void Best_lr_stays_the_final_loss_rules_pick_even_when_the_ladder_finds_a_lower_final_loss()
    {
        RunRecord Runs(double lr)
        {
            double e = Math.Log10(lr);
            if (e > -0.9) return Run(lr, true, 4.0, double.NaN);
            if (e > -2.2) return Run(lr, false, 4.0, 1.0, 3.5, 1.0 + 0.1 * Math.Abs(e + 1));   // unstable, best at 0.1
            if (Math.Abs(e + 2.5) < 1e-9) return Run(lr, false, 4.0, 2.0, 0.5);                 // not on the grid: stable and lower
            return Run(lr, false, 4.0, 3.5, 3.0);
        }
        var g = GridSearch.Run("gd", [0L], (lr, _) => Runs(lr));
        Assert.Equal(0.1, g.BestLr, 12);
        Assert.Equal(Math.Pow(10, -2.5), g.SelectedLr, 12);
        Assert.Contains(g.Points, p => Math.Abs(Math.Log10(p.Lr) + 2.5) < 1e-9);
    }

    [Fact]
    public void Grid_command_records_both_rules_in_best_json()
    {
        string dir = CliHarness.TempDir(), offDir = CliHarness.TempDir();
        string[] common = ["grid", "--problem", "ht-random", "--m", "4", "--optimizer", "gd", "--steps", "30", "--quiet"];
        var r = CliHarness.Run([.. common, "--out", dir]);
        Assert.True(r.Code == 0, r.Err);
        using var best = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "best.json")));
        var root = best.RootElement;
        double bestLr = root.GetProperty("best_lr").GetDouble(), selected = root.GetProperty("selected_lr").GetDouble();
        Assert.True(selected <= bestLr);
        Assert.Equal(1.05, root.GetProperty("stability").GetProperty("max_loss_factor").GetDouble());
        var unstable = root.GetProperty("unstable_lrs").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.DoesNotContain(selected, unstable);
        Assert.Equal("lr,worst_final_loss,diverged,stable", File.ReadLines(Path.Combine(dir, "grid.csv")).First());

        var off = CliHarness.Run([.. common, "--stability", "off", "--out", offDir]);
        Assert.True(off.Code == 0, off.Err);
        using var bestOff = JsonDocument.Parse(File.ReadAllText(Path.Combine(offDir, "best.json")));
        Assert.Equal(bestOff.RootElement.GetProperty("best_lr").GetDouble(), bestOff.RootElement.GetProperty("selected_lr").GetDouble());
        Assert.Equal("off", bestOff.RootElement.GetProperty("stability").GetString());

        var bad = CliHarness.Run([.. common, "--stability", "maybe", "--out", CliHarness.TempDir()]);
        Assert.Equal(2, bad.Code);
        Assert.Contains("--stability 'maybe' must be on or off", bad.Err);
    }
}
