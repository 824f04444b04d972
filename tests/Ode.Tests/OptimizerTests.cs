using HeavyTail.Tests.Shared;
using HeavyTail.Ode.Training;
using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Ode.Tests;

public class OptimizerTests
{
    private static readonly double[] W0 = [0.5, -1.0, 2.0, 0.0];
    private static readonly double[] G1 = [0.3, -0.4, 0.0, 1.2];
    private static readonly double[] G2 = [-0.1, 0.2, 0.5, 0.7];

    private static LinearModel Model() => LinearModel.Create(LossKind.CrossEntropy, Problems.Zipf(2, 10, 2, 1.0, 4).Data, Reference.Managed);

    private static double[] After(Optimizer o, params double[][] grads)
    {
        var w = (double[])W0.Clone();
        foreach (var g in grads) o.Step(w, g);
        return w;
    }

    [Fact]
    public void Gd_and_gd_momentum_follow_their_definitions()
    {
        Assert.Equal(W0.Select((w, i) => w - 0.1 * G1[i]), After(new GradientDescent(0.1), G1));
        // b1 = g1, b2 = μ b1 + g2; W2 = W0 − η b1 − η b2
        var w = After(new GradientDescentMomentum(0.1, 0.9), G1, G2);
        for (int i = 0; i < 4; i++) Assert.Equal(W0[i] - 0.1 * G1[i] - 0.1 * (0.9 * G1[i] + G2[i]), w[i], 15);
    }

    [Fact]
    public void Adam_first_two_steps_by_hand()
    {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var w = After(new Adam(lr, b1, b2, eps), G1, G2);
        for (int i = 0; i < 4; i++)
        {
            double m1 = (1 - b1) * G1[i], v1 = (1 - b2) * G1[i] * G1[i];
            double w1 = W0[i] - lr / (1 - b1) * m1 / (Math.Sqrt(v1) / Math.Sqrt(1 - b2) + eps);
            Assert.Equal(W0[i] - lr * G1[i] / (Math.Abs(G1[i]) + eps), w1, 15); // first step is ≈ η·sign(g)
            double m2 = b1 * m1 + (1 - b1) * G2[i], v2 = b2 * v1 + (1 - b2) * G2[i] * G2[i];
            double w2 = w1 - lr / (1 - b1 * b1) * m2 / (Math.Sqrt(v2) / Math.Sqrt(1 - b2 * b2) + eps);
            Assert.Equal(w2, w[i], 15);
        }
        var nm = After(new Adam(lr, 0.0, b2, eps, "adam-nm"), G1, G2);
        for (int i = 0; i < 4; i++)
        {
            double v1 = (1 - b2) * G1[i] * G1[i], w1 = W0[i] - lr * G1[i] / (Math.Sqrt(v1) / Math.Sqrt(1 - b2) + eps);
            double v2 = b2 * v1 + (1 - b2) * G2[i] * G2[i];
            Assert.Equal(w1 - lr * G2[i] / (Math.Sqrt(v2) / Math.Sqrt(1 - b2 * b2) + eps), nm[i], 15);
        }
    }

    [Fact]
    public void Adagrad_sign_and_normalized_steps()
    {
        var w = After(new Adagrad(0.1), G1, G2);
        for (int i = 0; i < 4; i++)
        {
            double s1 = G1[i] * G1[i], w1 = W0[i] - 0.1 * G1[i] / (Math.Sqrt(s1) + 1e-10);
            double s2 = s1 + G2[i] * G2[i];
            Assert.Equal(w1 - 0.1 * G2[i] / (Math.Sqrt(s2) + 1e-10), w[i], 15);
        }
        // one sign step moves every coordinate with g ≠ 0 by exactly η (and leaves g = 0 alone)
        var s = After(new SignDescent(0.25), G1);
        for (int i = 0; i < 4; i++) Assert.Equal(G1[i] == 0 ? 0 : 0.25, Math.Abs(s[i] - W0[i]));
        // a normalized step has norm η
        var n = After(new NormalizedDescent(0.3), G1);
        Assert.Equal(0.3, Math.Sqrt(n.Select((v, i) => (v - W0[i]) * (v - W0[i])).Sum()), 15);
        Assert.Equal(W0, After(new NormalizedDescent(0.3), new double[4]));
    }

    [Fact]
    public void Momentum_buffers_over_directions_match_their_definitions()
    {
        var sm = new SignDescentMomentum(0.1, 0.5);
        var w = After(sm, G1, G2);
        for (int i = 0; i < 4; i++)
        {
            double d1 = Math.Sign(G1[i]), d2 = Math.Sign(G2[i]);
            Assert.Equal(0.5 * d1 + d2, sm.Buffer[i], 15);
            Assert.Equal(W0[i] - 0.1 * d1 - 0.1 * (0.5 * d1 + d2), w[i], 15);
        }
        var nm = new NormalizedDescentMomentum(0.1, 0.5);
        After(nm, G1, G2);
        double n1 = Math.Sqrt(G1.Sum(v => v * v)), n2 = Math.Sqrt(G2.Sum(v => v * v));
        for (int i = 0; i < 4; i++) Assert.Equal(0.5 * G1[i] / n1 + G2[i] / n2, nm.Buffer[i], 15);
    }

    [Fact]
    public void Zero_learning_rate_leaves_W_unchanged_for_every_optimizer()
    {
        var model = Model();
        foreach (var name in OptimizerSettings.Names)
        {
            var o = new OptimizerSettings(name, 0.0).Create(model);
            Assert.Equal(W0, After(o, G1, G2, G1));
        }
    }

    [Fact]
    public void Pcngd_uses_class_gradients_that_average_to_the_full_gradient()
    {
        var p = Problems.Zipf(4, 30, 3, 1.0, seed: 9);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var w = new double[12]; new SeededRandom(2).FillGaussian(w);
        var g = new double[12]; m.LossAndGradient(w, g);
        var sum = new double[12]; var dir = new double[12]; int classes = 0;
        m.PerClassGradients(w, (k, gk) =>
        {
            classes++;
            double nk = Math.Sqrt(gk.Sum(v => v * v));
            for (int i = 0; i < 12; i++) { sum[i] += p.Data.ClassMass[k] * gk[i]; dir[i] += gk[i] / nk; }
            // g_k is the gradient of the mean loss over class k's samples: compare with a model on that subset
            var rows = Enumerable.Range(0, p.Data.N).Where(i => p.Data.Labels[i] == k).ToArray();
            var sub = new Dataset(rows.SelectMany(i => p.Data.X.Skip(i * 3).Take(3)).ToArray(), rows.Select(i => k).ToArray(), rows.Length, 3, 4);
            var gs = new double[12]; LinearModel.Create(p.Loss, sub, Reference.Managed).LossAndGradient(w, gs);
            for (int i = 0; i < 12; i++) Assert.Equal(gs[i], gk[i], 14);
        });
        Assert.Equal(4, classes);
        for (int i = 0; i < 12; i++) Assert.Equal(g[i], sum[i], 14); // Σ_k π_k g_k = ∇L
        var after = (double[])w.Clone();
        new PerClassNormalizedGradientDescent(0.1, m).Step(after, g);
        for (int i = 0; i < 12; i++) Assert.Equal(w[i] - 0.1 * dir[i] / 4, after[i], 13);
        var fast = new double[12];
        Assert.Equal(4, m.PerClassNormalizedDirection(w, fast));
        for (int i = 0; i < 12; i++) Assert.Equal(dir[i] / 4, fast[i], 13);
    }

    [Fact]
    public void A_diverging_run_is_recorded_as_diverged()
    {
        var p = Problems.Zipf(3, 30, 2, 1.0, seed: 1);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var r = TrainingLoop.RunOne(new LinearModelStepper(m, new GradientDescent(1e308), p.Groups, new double[6]), new TrainingSchedule(50));
        Assert.True(r.Diverged);
        Assert.Equal("diverged", r.Status);
        Assert.True(r.StepsDone < 50);
        Assert.False(double.IsFinite(r.Rows[^1].Loss));
        var ok = TrainingLoop.RunOne(new LinearModelStepper(m, new GradientDescent(0.1), p.Groups, new double[6]), new TrainingSchedule(10, 3));
        Assert.Equal([0, 3, 6, 9, 10], ok.Rows.Select(x => x.Step));
        Assert.Equal(Math.Log(3), ok.Rows[0].Loss, 15);
    }
}
