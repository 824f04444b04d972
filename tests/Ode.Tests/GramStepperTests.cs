using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Testing;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;
using HeavyTail.Tests.Shared;

namespace HeavyTail.Ode.Tests;

/// <summary>The Gram-matrix path (W = XᵀA, Z = KA) against the primal path, run for run, from W₀ = 0.</summary>
public class GramStepperTests
{
    private const double U = 1.1102230246251565e-16; // unit roundoff of float64, 2⁻⁵³
    private const int Steps = 20;

    /// <summary>
    /// Step sizes from the curvature bound λ_max(∇²L) ≤ max_i ‖x_i‖² =: L (cross-entropy ≤ L/2, squared loss ≤ L; likewise for
    /// each class's loss): gd at ηL = 1, heavy ball at ηL = 0.1 (stable below 2(1 + μ)). The normalized updates are
    /// discontinuous where their gradient vanishes (at a minimum a rounding error flips the direction), so their steps keep
    /// the iterate where the gradients stay large: ‖g(W)‖ ≥ ‖g(0)‖ − L‖W‖ and ‖W_T‖ ≤ T·η (≤ 10·T·η with momentum μ = 0.9),
    /// so η = ‖g(0)‖/(4LT) (pcngd: the smallest class gradient) keeps ‖g‖ ≥ ‖g(0)‖/2 for the T steps.
    /// </summary>
    private static OptimizerSettings[] Settings(LinearModel model)
    {
        var data = model.Data;
        double l = 0;
        for (int i = 0; i < data.N; i++) l = Math.Max(l, data.X.AsSpan(i * data.D, data.D).ToArray().Sum(v => v * v));
        l = Math.Max(l, 1e-3);
        var w0 = new double[model.ParameterCount]; var g0 = new double[w0.Length];
        model.LossAndGradient(w0, g0);
        double gNorm = Math.Sqrt(g0.Sum(v => v * v)), gClassMin = double.PositiveInfinity;
        model.PerClassGradients(w0, (_, gk) => gClassMin = Math.Min(gClassMin, Math.Sqrt(gk.Sum(v => v * v))));
        if (!double.IsFinite(gClassMin)) gClassMin = 0;
        return [new("gd", 1 / l), new("gd-m", 0.1 / l) { Momentum = 0.9 }, new("normalized", gNorm / (4 * l * Steps)),
                new("normalized-m", gNorm / (40 * l * Steps)) { Momentum = 0.9 }, new("pcngd", gClassMin / (4 * l * Steps))];
    }

    /// <summary>
    /// Both paths compute the same logits with sums reassociated: Z = XW (sums of d) from W accumulated over the steps
    /// (sums of n in G = XᵀR) against Z = KA (K from sums of d, KA and KR from sums of n). Each evaluation's logits then differ
    /// by ≲ (n + d + c)·u·S with S = max_i Σ_j |x_ij|·max_a |W_ja| + 1 bounding |Z|, and T stable steps add up such
    /// differences, with a factor 1/(1 − μ) = 10 for momentum's geometric sum and 8 for the constants of the γ_k bounds and
    /// the loss's Lipschitz constant (|∂ℓ/∂z|₁ ≤ 2): tolerance 80·T·(n + d + c)·u·S on losses and on W.
    /// </summary>
    private static double Tolerance(LinearModel model, double[] w)
    {
        int d = model.D, c = model.C;
        double s = 1;
        for (int j = 0; j < d; j++)
        {
            double xMax = 0, wMax = 0;
            for (int i = 0; i < model.N; i++) xMax = Math.Max(xMax, Math.Abs(model.Data.X[i * d + j]));
            for (int a = 0; a < c; a++) wMax = Math.Max(wMax, Math.Abs(w[j * c + a]));
            s += xMax * wMax;
        }
        return 80.0 * Steps * (model.N + d + c) * U * s;
    }

    private static void AssertSameRuns(LinearModel model, TrainingResult primal, TrainingResult gram, string what)
    {
        Assert.Equal(primal.Diverged, gram.Diverged);
        Assert.Equal(primal.Rows.Select(x => x.Step), gram.Rows.Select(x => x.Step));
        double tol = Tolerance(model, primal.W);
        for (int i = 0; i < primal.Rows.Count; i++)
        {
            double a = primal.Rows[i].Loss, b = gram.Rows[i].Loss;
            Assert.True(Math.Abs(a - b) <= tol * Math.Max(1, Math.Abs(a)), $"{what} step {primal.Rows[i].Step}: loss {a:R} vs {b:R} (tolerance {tol:G3})");
            for (int g = 0; g < primal.Rows[i].GroupLosses.Length; g++)
            {
                double ga = primal.Rows[i].GroupLosses[g], gb = gram.Rows[i].GroupLosses[g];
                if (double.IsNaN(ga)) { Assert.True(double.IsNaN(gb), $"{what} group {g}"); continue; }
                Assert.True(Math.Abs(ga - gb) <= tol * Math.Max(1, Math.Abs(ga)), $"{what} step {primal.Rows[i].Step} group {g}: {ga:R} vs {gb:R}");
            }
        }
        for (int q = 0; q < primal.W.Length; q++)
            Assert.True(Math.Abs(primal.W[q] - gram.W[q]) <= tol, $"{what} W[{q}]: {primal.W[q]:R} vs {gram.W[q]:R} (tolerance {tol:G3})");
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(ProblemArbitraries)], MaxTest = 40, Pinned = "(11,17)")]
    public void Gram_runs_side_by_side_match_primal_runs_one_by_one(ProblemCase pc)
    {
        var model = pc.Model(Reference.Managed);
        var groups = FrequencyGroups.UpTo(model.Data.GroupingMass(), 3);
        var settings = Settings(model);
        var schedule = new TrainingSchedule(Steps, 3);
        var gram = TrainingLoop.Run(new GramStepper(model, settings, groups), schedule);
        for (int r = 0; r < settings.Length; r++)
        {
            var primal = TrainingLoop.RunOne(new LinearModelStepper(model, settings[r].Create(model), groups), schedule);
            AssertSameRuns(model, primal, gram[r], $"{pc} {settings[r].Name}");
        }
    }

    [Fact]
    public void Gram_batch_matches_the_primal_batch_on_ht_random_with_a_diverging_run_beside()
    {
        var p = Problems.HtRandom(4, seed: 3); // n = 64 < d = 80
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var settings = new OptimizerSettings[] { new("gd", 0.5), new("gd-m", 0.05), new("normalized", 0.2), new("normalized-m", 0.05), new("pcngd", 0.2), new("gd", 1e308) };
        var schedule = new TrainingSchedule(Steps, 4);
        var gram = TrainingLoop.Run(new GramStepper(model, settings, p.Groups), schedule);
        var primal = TrainingLoop.Run(new BatchedLinearStepper(model, settings[..^1].Select(s => s.Create(model)).ToList(), p.Groups), schedule);
        for (int r = 0; r < settings.Length - 1; r++)
        {
            Assert.True(gram[r].Rows[^1].Loss < gram[r].Rows[0].Loss - 0.01, $"{settings[r].Name} trains");
            AssertSameRuns(model, primal[r], gram[r], settings[r].Name);
        }
        Assert.True(gram[^1].Diverged, "η = 1e308 overflows the logits");
    }

    [Fact]
    public void Squared_loss_runs_match()
    {
        var p = Problems.HtIdentity(1); // regression, n = 20 = d (identity inputs: K = I)
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        Assert.Equal(LossKind.Squared, model.Kind);
        var settings = new OptimizerSettings[] { new("gd", 3.0), new("normalized-m", 0.05) };
        var schedule = new TrainingSchedule(Steps, 5);
        var gram = TrainingLoop.Run(new GramStepper(model, settings, p.Groups), schedule);
        for (int r = 0; r < settings.Length; r++)
            AssertSameRuns(model, TrainingLoop.RunOne(new LinearModelStepper(model, settings[r].Create(model), p.Groups), schedule), gram[r], settings[r].Name);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adam-nm")]
    [InlineData("sign")]
    [InlineData("sign-m")]
    [InlineData("adagrad")]
    public void Optimizers_that_leave_the_row_space_are_refused(string name)
    {
        var p = Problems.HtRandom(3, seed: 0);
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var e = Assert.Throws<ArgumentException>(() => new GramStepper(model, [new("gd", 0.1), new(name, 0.1)], p.Groups));
        Assert.Contains($"optimizer {name} cannot run on the Gram-matrix path", e.Message);
        Assert.Contains("primal", e.Message);
        Assert.False(GramStepper.Supports(new OptimizerSettings(name, 0.1)));
    }

    [Fact]
    public void Every_optimizer_is_either_supported_or_refused_by_name()
    {
        // a new optimizer must be placed: its update is a combination of gradients (then add its Gram update) or it is not
        var supported = OptimizerCatalog.All.Where(d => GramStepper.SupportedKinds.Contains(d.Kind)).Select(d => d.Name).ToArray();
        Assert.Equal(["gd", "gd-m", "normalized", "normalized-m", "pcngd"], supported);
    }

    [Fact]
    public void The_cost_model_counts_one_n_by_n_gemm_per_step()
    {
        // ht-random m = 9: n = 4608, d = 5120, c = 511; per step 2·n·d·c against n²·c multiply-adds, a ratio 2d/n = 2.22
        long n = 9 << 9, d = 10 << 9, c = (1 << 9) - 1;
        double perStepRatio = (GramStepper.PrimalMultiplyAdds(n, d, c, 8, 1001) - GramStepper.PrimalMultiplyAdds(n, d, c, 8, 1000))
                              / (GramStepper.GramMultiplyAdds(n, d, c, 8, 1001) - GramStepper.GramMultiplyAdds(n, d, c, 8, 1000));
        Assert.Equal(2.0 * d / n, perStepRatio, 12);
        Assert.Equal((double)n * n * d + (double)n * d * c * 8, GramStepper.GramMultiplyAdds(n, d, c, 8, 0));
    }
    /// <remarks>
    /// An oscillating run near GD's stability limit (HT-Random m = 8, η = 0.2, 30 steps: the loss swings between ≈ 5 and
    /// ≈ 25, so the dynamics amplify any rounding and both float32 runs end well away from float64): the float32 Gram run
    /// must stay as close to float64 as the primal float32 run, within 5× its distance (the issue asks 10×). Measured: primal
    /// 0.028, Gram 0.072; with Z carried as in float64 (before Z = K·A was formed afresh in float32) 0.227, which fails.
    /// </remarks>
    [Fact]
    public void Float32_gram_run_near_the_stability_limit_stays_as_close_to_float64_as_the_primal_float32_run()
    {
        var p = Problems.HtRandom(8);
        var schedule = new TrainingSchedule(30, 30);
        var settings = new OptimizerSettings("gd", 0.2);
        var model64 = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        using var single = new SinglePrecisionProvider(new ManagedLinearAlgebraProvider());
        var model32 = LinearModel.Create(p.Loss, p.Data, single);
        double f64 = TrainingLoop.RunOne(LinearSteppers.Create(model64, [settings.Create(model64)], p.Groups), schedule).Rows[^1].Loss;
        double primal = TrainingLoop.RunOne(LinearSteppers.Create(model32, [settings.Create(model32)], p.Groups, Precision.Float32), schedule).Rows[^1].Loss;
        var stepper = new GramStepper(model32, [settings], p.Groups);
        Assert.True(stepper.FreshLogits);
        double gram = TrainingLoop.RunOne(stepper, schedule).Rows[^1].Loss;
        Console.WriteLine($"final loss: float64 {f64:R}, float32 primal {primal:R} (Δ {Math.Abs(primal - f64):G3}), float32 Gram {gram:R} (Δ {Math.Abs(gram - f64):G3})");
        Assert.True(Math.Abs(primal - f64) > 1e-3, "the run oscillates: float32 rounding shows in the final loss");
        Assert.True(Math.Abs(gram - f64) <= 5 * Math.Abs(primal - f64), $"Gram {gram:R}, primal {primal:R}, float64 {f64:R}");
    }
}
