using HeavyTail.Analytic;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Solvers;
using HeavyTail.Ode.Training;
using HeavyTail.Tests.Shared;
using MathNet.Numerics.LinearAlgebra;

namespace HeavyTail.Ode.Tests;

/// <summary>signum, scaled-sign(-m), lion, muon, muon-exact and adam-blocks: two steps by hand on a 3 × 4 W, and their flows.</summary>
public class FieldOptimizerTests
{
    private const int D = 3, C = 4;
    // W0 and two gradients (d × c row-major); G1 has a 0 entry (sign(0) = 0) and G2 flips some signs of G1
    private static readonly double[] W0 = [0.5, -1.0, 2.0, 0.0, 0.1, 0.2, -0.3, 0.4, 1.5, -0.5, 0.25, -2.0];
    private static readonly double[] G1 = [0.3, -0.4, 0.0, 1.2, -0.2, 0.05, 0.6, -0.7, 0.1, 0.9, -0.3, 0.2];
    private static readonly double[] G2 = [-0.1, 0.2, 0.5, 0.7, 0.2, -0.05, 0.4, -0.2, -0.3, 0.8, 0.3, -0.1];

    private static double[] After(Optimizer o, params double[][] grads)
    {
        var w = (double[])W0.Clone();
        foreach (var g in grads) o.Step(w, g);
        return w;
    }

    [Fact]
    public void Signum_two_steps_by_hand()
    {
        double lr = 0.1, beta = 0.9;
        var w = After(new Signum(lr, beta), G1, G2);
        for (int i = 0; i < W0.Length; i++)
        {
            double m1 = (1 - beta) * G1[i], m2 = beta * m1 + (1 - beta) * G2[i];
            Assert.Equal(W0[i] - lr * Math.Sign(m1) - lr * Math.Sign(m2), w[i], 15);
        }
        // the 0 gradient entry does not move in the first step; every other entry moves by exactly η
        var one = After(new Signum(lr, beta), G1);
        Assert.Equal(W0[2], one[2]);
        for (int i = 0; i < W0.Length; i++) if (G1[i] != 0) Assert.Equal(lr, Math.Abs(one[i] - W0[i]), 15);
    }

    [Fact]
    public void Scaled_sign_with_and_without_momentum_two_steps_by_hand()
    {
        double lr = 0.01, mu = 0.9, n1 = G1.Sum(Math.Abs), n2 = G2.Sum(Math.Abs);
        var w = After(new ScaledSignDescent(lr), G1, G2);
        var wm = After(new ScaledSignDescentMomentum(lr, mu), G1, G2);
        for (int i = 0; i < W0.Length; i++)
        {
            double d1 = Math.Sign(G1[i]) * n1, d2 = Math.Sign(G2[i]) * n2;
            Assert.Equal(W0[i] - lr * d1 - lr * d2, w[i], 14);
            Assert.Equal(W0[i] - lr * d1 - lr * (mu * d1 + d2), wm[i], 14);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void Lion_two_steps_by_hand(double lambda)
    {
        double lr = 0.05, b1 = 0.9, b2 = 0.99;
        var w = After(new Lion(lr, b1, b2, lambda), G1, G2);
        for (int i = 0; i < W0.Length; i++)
        {
            double u1 = Math.Sign((1 - b1) * G1[i]), w1 = W0[i] - lr * (u1 + lambda * W0[i]), m1 = (1 - b2) * G1[i];
            double u2 = Math.Sign(b1 * m1 + (1 - b1) * G2[i]), w2 = w1 - lr * (u2 + lambda * w1);
            Assert.Equal(w2, w[i], 14);
        }
    }

    [Fact]
    public void Adam_blocks_two_steps_by_hand()
    {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var w = After(new AdamBlocks(lr, D, C, b1, b2, eps), G1, G2);
        double MeanSq(double[] g, int k) => Enumerable.Range(0, D).Average(j => g[j * C + k] * g[j * C + k]);
        for (int j = 0; j < D; j++)
            for (int k = 0; k < C; k++)
            {
                int i = j * C + k;
                double m1 = (1 - b1) * G1[i], v1 = (1 - b2) * MeanSq(G1, k);
                double w1 = W0[i] - lr / (1 - b1) * m1 / (Math.Sqrt(v1) / Math.Sqrt(1 - b2) + eps);
                double m2 = b1 * m1 + (1 - b1) * G2[i], v2 = b2 * v1 + (1 - b2) * MeanSq(G2, k);
                double w2 = w1 - lr / (1 - b1 * b1) * m2 / (Math.Sqrt(v2) / Math.Sqrt(1 - b2 * b2) + eps);
                Assert.Equal(w2, w[i], 13);
            }
    }

    /// <summary>NS₅ of a d × c matrix written out (five rounds of A = XXᵀ, B = bA + cA², X = aX + BX on the short side).</summary>
    private static double[] Ns5(double[] g)
    {
        var x = Matrix<double>.Build.Dense(D, C, (i, j) => g[i * C + j]);   // d = 3 ≤ c = 4: no transpose
        x /= x.FrobeniusNorm() + 1e-7;
        for (int s = 0; s < 5; s++)
        {
            var a = x * x.Transpose();
            var b = -4.7750 * a + 2.0315 * (a * a);
            x = 3.4445 * x + b * x;
        }
        return Enumerable.Range(0, D * C).Select(i => x[i / C, i % C]).ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Muon_two_steps_by_hand(bool nesterov)
    {
        double lr = 0.02, mu = 0.95, s = Math.Sqrt(Math.Max(1.0, (double)C / D));
        var w = After(new Muon(lr, mu, nesterov, D, C, Reference.Managed), G1, G2);
        var b1 = G1; var b2 = G1.Zip(G2, (x, y) => mu * x + y).ToArray();
        var u1 = nesterov ? G1.Zip(b1, (g, b) => g + mu * b).ToArray() : b1;
        var u2 = nesterov ? G2.Zip(b2, (g, b) => g + mu * b).ToArray() : b2;
        var o1 = Ns5(u1); var o2 = Ns5(u2);
        for (int i = 0; i < W0.Length; i++) Assert.Equal(W0[i] - lr * s * o1[i] - lr * s * o2[i], w[i], 13);
    }

    [Fact]
    public void Muon_exact_steps_by_the_svd_polar_factor()
    {
        double lr = 0.02, mu = 0.95;
        var w = After(new Muon(lr, mu, true, D, C, Reference.Managed, exact: true), G1);
        var u = G1.Select(g => g + mu * g).ToArray();
        var svd = Matrix<double>.Build.Dense(D, C, (i, j) => u[i * C + j]).Svd(true);
        var polar = svd.U.SubMatrix(0, D, 0, D) * svd.VT.SubMatrix(0, D, 0, C);
        double s = Math.Sqrt((double)C / D);
        for (int i = 0; i < W0.Length; i++) Assert.Equal(W0[i] - lr * s * polar[i / C, i % C], w[i], 12);
    }

    [Fact]
    public void Catalog_builds_the_new_optimizers_with_their_defaults()
    {
        var model = LinearModel.Create(LossKind.CrossEntropy, Problems.Zipf(5, 30, 4, 1.0, seed: 1).Data, Reference.Managed);
        Assert.Equal(0.95, new OptimizerSettings("muon", 0.1).Momentum);
        Assert.Equal(0.99, new OptimizerSettings("lion", 0.1).Beta2);
        Assert.Equal(0.9, new OptimizerSettings("signum", 0.1).Momentum);
        Assert.Equal(0.999, new OptimizerSettings("adam-blocks", 0.1).Beta2);
        foreach (var name in new[] { "signum", "scaled-sign", "scaled-sign-m", "lion", "muon", "muon-exact", "adam-blocks" })
        {
            var o = new OptimizerSettings(name, 0.01).Create(model);
            Assert.Equal(name, o.Name);
        }
        var e = Assert.Throws<ArgumentException>(() => new OptimizerSettings("muon", 0.1).Create(null));
        Assert.Contains("linear models", e.Message);
        Assert.True(new OptimizerSettings("muon", 0.1).Describe().ContainsKey("nesterov"));
        Assert.True(new OptimizerSettings("lion", 0.1).Describe().ContainsKey("weight_decay"));
        Assert.False(new OptimizerSettings("adam", 0.1).Describe().ContainsKey("nesterov"));
    }

    /// <summary>float32 runs of the new optimizers stay within the float32 rounding budget of the float64 runs (as Float32TrainingTests).</summary>
    [Theory]
    [InlineData("signum", 0.01)]
    [InlineData("scaled-sign", 0.002)]
    [InlineData("lion", 0.01)]
    [InlineData("muon", 0.02)]
    [InlineData("adam-blocks", 0.01)]
    public void Float32_runs_track_float64_runs(string name, double lr)
    {
        var p = Problems.Zipf(6, 60, 5, 1.0, seed: 3);
        var model = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var s = new OptimizerSettings(name, lr);
        const int steps = 15;
        var schedule = new TrainingSchedule(steps, 1);
        var r64 = TrainingLoop.RunOne(LinearSteppers.Create(model, [s.Create(model)], p.Groups, Precision.Float64), schedule);
        var r32 = TrainingLoop.RunOne(LinearSteppers.Create(model, [s.Create(model)], p.Groups, Precision.Float32), schedule);
        double u = Math.Pow(2, -24);
        for (int i = 0; i < r64.Rows.Count; i++)
        {
            double l64 = r64.Rows[i].Loss, l32 = r32.Rows[i].Loss;
            double tol = u * (p.Data.N + p.Data.D + p.Data.C) * (r64.Rows[i].Step + 1) * Math.Max(Math.Abs(l64), 1) * 20;
            Assert.True(Math.Abs(l32 - l64) <= tol, $"{name} step {r64.Rows[i].Step}: float32 {l32:R} vs float64 {l64:R} (tolerance {tol:G3})");
        }
        Assert.NotEqual(r64.Rows[^1].Loss, r32.Rows[^1].Loss);   // float32 really ran
    }

    /// <summary>dL/dt along the integrated flow against its identity: −‖g‖₁² (scaled-sign), −‖g‖_* (polar, float64 SVD).</summary>
    [Theory]
    [InlineData("scaled-sign")]
    [InlineData("polar")]
    public void Dissipation_identities_of_the_new_flows(string name)
    {
        // one-hot model: no gradient coordinate changes sign and the gradient's rank stays c − 1, so both fields are smooth along it
        var m = LinearModel.Create(LossKind.CrossEntropy, Problems.OneHot(5, 1.0).Data, Reference.Managed);
        ModelFlow flow = name == "polar" ? new PolarFlow(m) : new ScaledSignFlow(m);
        var w0 = new double[25];
        var times = Enumerable.Range(0, 21).Select(i => 0.01 * i).ToArray();
        var sol = Integrator.Solve(flow, ExplicitRungeKutta.DormandPrince54, 0, 0.2, w0, new SaveAt(times), new PIController(1e-11, 1e-13));
        Assert.Equal(SolveResult.Success, sol.Result);
        var loss = sol.Values.Select(m.Loss).ToArray();
        for (int i = 1; i < times.Length - 1; i++)
        {
            double fd = (loss[i + 1] - loss[i - 1]) / (times[i + 1] - times[i - 1]);
            var g = new double[m.ParameterCount];
            m.LossAndGradient(sol.Values[i], g);
            double predicted = flow.PredictedDissipation(g);
            double independent = name == "polar"
                ? -Matrix<double>.Build.Dense(5, 5, (a, b) => g[a * 5 + b]).Svd(false).S.Sum()
                : -Math.Pow(g.Sum(Math.Abs), 2);
            Assert.Equal(independent, predicted, 1e-9 * Math.Abs(independent));
            Assert.Equal(predicted, flow.Dissipation(times[i], sol.Values[i]), 1e-9 * Math.Abs(predicted));
            Assert.True(Math.Abs(fd - predicted) <= 3e-3 * Math.Abs(predicted), $"{name} t={times[i]}: dL/dt ≈ {fd}, identity {predicted}");
        }
    }

    /// <remarks>
    /// The polar flow on the one-hot model (X = I, c = 4, π ∝ k^−1) against a dense reference ODE written from scratch: the
    /// gradient of L = Σ_k π_k ℓ_k by central finite differences of the loss, its polar factor by MathNet's SVD, integrated with
    /// classic RK4 at a 4× finer fixed step. The two agree to the reference's error.
    /// </remarks>
    [Fact]
    public void Polar_flow_on_the_one_hot_model_matches_a_dense_reference()
    {
        const int c = 4;
        var p = Problems.OneHot(c, 1.0);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        double tEnd = 0.5;
        var ours = Integrator.Solve(new PolarFlow(m), ExplicitRungeKutta.Rk4, 0, tEnd, new double[c * c], SaveAt.None, new ConstantStepSize(100));
        double[] Field(double[] w)
        {
            var g = new double[c * c];
            for (int i = 0; i < g.Length; i++)
            {
                double h = 1e-5;
                var wp = (double[])w.Clone(); wp[i] += h; var wm = (double[])w.Clone(); wm[i] -= h;
                g[i] = (m.Loss(wp) - m.Loss(wm)) / (2 * h);
            }
            var svd = Matrix<double>.Build.Dense(c, c, (a, b) => g[a * c + b]).Svd(true);
            var f = new double[c * c];
            for (int r = 0; r < c; r++)
            {
                if (!(svd.S[r] > 1e-6 * svd.S[0])) continue;
                for (int a = 0; a < c; a++) for (int b = 0; b < c; b++) f[a * c + b] -= svd.U[a, r] * svd.VT[r, b];
            }
            return f;
        }
        var y = new double[c * c];
        int n = 400; double dt = tEnd / n;
        for (int s = 0; s < n; s++)
        {
            var k1 = Field(y);
            var k2 = Field(y.Zip(k1, (a, b) => a + dt / 2 * b).ToArray());
            var k3 = Field(y.Zip(k2, (a, b) => a + dt / 2 * b).ToArray());
            var k4 = Field(y.Zip(k3, (a, b) => a + dt * b).ToArray());
            for (int i = 0; i < y.Length; i++) y[i] += dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        }
        for (int i = 0; i < y.Length; i++) Assert.Equal(y[i], ours.YFinal[i], 1e-6);
        Assert.True(m.Loss(ours.YFinal) < m.Loss(new double[c * c]) - 0.1);
    }

    /// <summary>
    /// Signum and lion (fixed β) against their limit, sign flow, on the one-hot model: there no gradient coordinate changes sign
    /// along either (m keeps the sign of every g it averages), so both are W = −t·sign(g₀) with t = η·step, exactly.
    /// </summary>
    [Theory]
    [InlineData("signum")]
    [InlineData("lion")]
    public void Signum_and_lion_follow_sign_flow_on_the_one_hot_model(string name)
    {
        var p = Problems.OneHot(6, 1.0);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        double tEnd = 0.5;
        var flow = Integrator.Solve(new SignFlow(m), ExplicitRungeKutta.Euler, 0, tEnd, new double[36], SaveAt.None, new ConstantStepSize(4000));
        var errors = new List<double>();
        foreach (double lr in new[] { 0.05, 0.01, 0.002 })
        {
            var w = new double[36];
            var opt = new OptimizerSettings(name, lr).Create(m);
            var g = new double[36];
            for (int s = 0; s < (int)Math.Round(tEnd / lr); s++) { m.LossAndGradient(w, g); opt.Step(w, g); }
            errors.Add(Math.Abs(m.Loss(w) - m.Loss(flow.YFinal)));
        }
        Assert.All(errors, e => Assert.True(e <= 1e-12, string.Join(", ", errors)));
        Assert.Equal("sign", new OptimizerSettings(name, 0.1).Descriptor.Limit!.Flow);
    }

    [Fact]
    public void Blockwise_adam_flow_shares_one_second_moment_per_column()
    {
        var p = Problems.Zipf(4, 40, 3, 1.0, seed: 2);
        var m = LinearModel.Create(p.Loss, p.Data, Reference.Managed);
        var flow = new AdamFlow(m, 1, 1, 1e-8, blockwise: true);
        Assert.Equal("adam-blocks", flow.Name);
        var y = flow.InitialState(new double[m.ParameterCount]);
        var sol = Integrator.Solve(flow, ExplicitRungeKutta.DormandPrince54, 0, 1, y, SaveAt.None, new PIController(1e-9, 1e-11));
        Assert.Equal(SolveResult.Success, sol.Result);
        int P = m.ParameterCount, c = m.C;
        for (int i = 0; i < P; i++) Assert.Equal(sol.YFinal[2 * P + i % c], sol.YFinal[2 * P + i], 12);
        Assert.True(m.Loss(sol.YFinal[..P]) < m.Loss(new double[P]));
    }
}
