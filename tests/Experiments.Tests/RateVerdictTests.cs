using System.Text.Json;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Theory;
using HeavyTail.Experiments.Recipes;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Tests;

/// <summary>Issue 26 §2: rates with verdicts in flow and compare (rates.json), and the rates recipe's options.</summary>
public class RateVerdictTests
{
    private static readonly double[] LogTimes = Enumerable.Range(0, 121).Select(i => Math.Pow(10, -2 + 6.0 * i / 120)).ToArray();
    private static readonly double[] LinTimes = Enumerable.Range(0, 201).Select(i => 10.0 * i / 200).ToArray();

    [Theory]
    [InlineData(-1.0, 0.3)]
    [InlineData(-0.5, 7.0)]
    [InlineData(-2.25, 1e-3)]
    public void The_fit_recovers_a_known_power_law_exponent(double exponent, double prefactor)
    {
        var loss = LogTimes.Select(t => prefactor * Math.Pow(t, exponent)).ToArray();
        var idx = FlowRates.Window(OneHotRates.Base("gradient", 10, true) with { Times = LogTimes }, loss);
        Assert.Equal(LogTimes[^1], LogTimes[idx[^1]]);
        Assert.True(LogTimes[idx[0]] >= LogTimes[^1] / 10 * (1 - 1e-12), "the window is the last decade");
        Assert.Equal(exponent, FlowRates.Fit(DecayLaw.PowerLaw, idx.Select(i => LogTimes[i]).ToArray(), idx.Select(i => loss[i]).ToArray()), 10);
    }

    [Theory]
    [InlineData(-2.0)]
    [InlineData(-0.7)]
    public void The_fit_recovers_a_known_exponential_rate_and_leaves_out_losses_below_the_floor(double rate)
    {
        // (the loss runs from 1 to e^(−20) or so: the points below 1e-12 must not enter the fit, so the tail is the last half above it)
        var loss = LinTimes.Select(t => 3 * Math.Exp(rate * t * 1.4)).Select(v => v < 1e-13 ? 0.0 : v).ToArray();
        var q = OneHotRates.Base("sign", 10, true) with { Times = LinTimes, Series = [new RateSeries("curve", 0.5, loss, t => 3 * Math.Exp(rate * t * 1.4))] };
        var report = FlowRates.Evaluate(q);
        Assert.Equal(1.4 * rate, report.Rows[0].Fitted, 8);
        Assert.Equal(1.4 * rate, report.Rows[0].Predicted!.Value, 8);
        Assert.True(report.Rows[0].Pass);
    }

    private static (string Dir, JsonElement Root) Flow(string flow, string tEnd, params string[] extra)
    {
        string dir = Path.Combine(CliHarness.TempDir(), "run");
        var r = CliHarness.Run(["flow", "--problem", "one-hot", "--classes", "12", "--flow", flow, "--t-end", tEnd, "--out", dir, "--quiet", .. extra]);
        Assert.True(r.Code == 0, r.Err + r.Out);
        Assert.Contains("verdict: pass", r.Out);
        return (dir, JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "rates.json"))).RootElement.Clone());
    }

    [Fact]
    public void A_gradient_flow_run_passes_where_Theorem_3_holds()
    {
        var (dir, root) = Flow("gradient", "1e5");
        Assert.Equal("pass", root.GetProperty("verdict").GetString());
        var curves = root.GetProperty("curves").EnumerateArray().ToList();
        Assert.Equal(12, curves.Count);
        foreach (var c in curves)
        {
            Assert.Equal("pass", c.GetProperty("verdict").GetString());
            Assert.Equal(-1, c.GetProperty("asymptotic_rate").GetDouble());
            Assert.InRange(c.GetProperty("fitted_rate").GetDouble(), -1.05, -0.99);
            Assert.Equal(1e4, c.GetProperty("window")[0].GetDouble(), 1e-6);
            Assert.Equal(11.0 / 12, c.GetProperty("asymptotic_prefactor").GetDouble(), 12);
        }
        var th = root.GetProperty("time_to_threshold");
        Assert.Equal(12, th.GetProperty("reached").GetInt32());
        Assert.Equal(-1, th.GetProperty("fitted_slope").GetDouble(), 2);
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal("pass", run.RootElement.GetProperty("rates_verdict").GetString());
        // the default saved times start inside the plateau: the first saved time after 0 has every class within 1e-3 of log c
        var (_, rows) = Csv.Read(Path.Combine(dir, "flow.csv"));
        Assert.True(rows[1][0] <= 1e-3);
        Assert.All(rows[1].Skip(2).Take(12), l => Assert.True(Math.Log(12) - l < 1e-3, $"{l}"));
    }

    [Fact]
    public void A_sign_flow_run_passes_with_rate_minus_two_and_a_flat_threshold_slope()
    {
        var (_, root) = Flow("sign", "9");
        Assert.Equal("pass", root.GetProperty("verdict").GetString());
        foreach (var c in root.GetProperty("curves").EnumerateArray())
            Assert.Equal(-2, c.GetProperty("fitted_rate").GetDouble(), 2);
        Assert.Equal(0, root.GetProperty("time_to_threshold").GetProperty("fitted_slope").GetDouble(), 2);
    }

    /// <summary>The same solved gradient flow, judged against predictions that are wrong: every one must fail.</summary>
    [Fact]
    public void A_wrong_prediction_fails()
    {
        var p = Problems.OneHot(12, 1.0);
        var model = HeavyTail.Analytic.Models.LinearModel.Create(p.Loss, p.Data, ComputeContext.Managed());
        var flow = FlowTables.Make("gradient", model);
        var table = FlowTables.Solve(p, model, flow, HeavyTail.Ode.Solvers.ExplicitRungeKutta.DormandPrince54,
            new HeavyTail.Ode.Solvers.PIController(1e-10, 1e-12), 1e5, FlowRuns.DefaultSaveAt(1e5), new double[model.ParameterCount]);
        var right = OneHotRates.ForTable("gradient", table, p.Data.ClassMass, p.Groups.GroupOf, theory: true);
        Assert.True(FlowRates.Evaluate(right).Pass);
        // a rate of 1/√t instead of 1/t (the prefactor kept right at the window's end)
        var sqrt = right with { Series = right.Series.Select(s => s with { Exact = t => s.Exact!(1e5) * Math.Sqrt(1e5 / t) }).ToList() };
        var r1 = FlowRates.Evaluate(sqrt);
        Assert.False(r1.Pass);
        Assert.All(r1.Rows, w => Assert.False(w.Pass));
        // the right exponent with the prefactor of a class twice as frequent
        var doubled = right with { Series = right.Series.Select(s => s with { Exact = t => OneHotTheory.GradientFlowLoss(t, Math.Min(1, 2 * s.Frequency), 12) }).ToList() };
        Assert.All(FlowRates.Evaluate(doubled).Rows, w => Assert.False(w.Pass));
        // sign flow's threshold law (flat in π) for gradient-flow data
        var flat = FlowRates.Evaluate(right with { ThresholdSlope = 0 });
        Assert.False(flat.Threshold.Pass);
        Assert.False(flat.Pass);
        Assert.Contains("FAIL", string.Join("\n", OneHotRates.Lines(flat)));
    }

    [Fact]
    public void A_flow_without_a_closed_form_reports_fitted_rates_without_a_verdict()
    {
        string dir = Path.Combine(CliHarness.TempDir(), "run");
        var r = CliHarness.Run("flow", "--problem", "one-hot", "--classes", "6", "--flow", "normalized", "--t-end", "50", "--out", dir, "--quiet");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("no prediction", r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "rates.json")));
        Assert.Equal("no prediction", doc.RootElement.GetProperty("verdict").GetString());
        Assert.All(doc.RootElement.GetProperty("curves").EnumerateArray(), c => Assert.True(double.IsFinite(c.GetProperty("fitted_rate").GetDouble())));
    }

    [Theory]
    [InlineData("gd", "0.5", "200")]
    [InlineData("sign", "0.01", "800")]
    public void Compare_judges_the_flow_and_the_discrete_run(string optimizer, string lr, string steps)
    {
        string dir = Path.Combine(CliHarness.TempDir(), "run");
        var r = CliHarness.Run("compare", "--problem", "one-hot", "--classes", "6", "--optimizer", optimizer, "--lr", lr, "--steps", steps, "--out", dir, "--quiet");
        Assert.True(r.Code == 0, r.Err + r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "rates.json")));
        Assert.Equal("pass", doc.RootElement.GetProperty("flow").GetProperty("verdict").GetString());
        Assert.Equal("pass", doc.RootElement.GetProperty("discrete").GetProperty("verdict").GetString());
    }

    [Fact]
    public void The_rates_recipe_takes_classes_and_a_zipf_exponent()
    {
        Assert.Throws<UserError>(() => new RatesRecipe(1, 1.0));
        Assert.Throws<UserError>(() => new RatesRecipe(10, -0.5));
        Assert.Throws<UserError>(() => RatesRecipe.Configure(new FlowsRecipe(), 10, null));
        Assert.Same(Cookbook.All.First(x => x.Name == "flows"), RatesRecipe.Configure(Cookbook.All.First(x => x.Name == "flows"), null, null));
        var recipe = (RatesRecipe)RatesRecipe.Configure(new RatesRecipe(), 8, 2.0);
        string root = CliHarness.TempDir();
        var outcome = RecipeRunner.Execute(recipe, root, Scale.Tiny, new RunEnvironment(ComputeContext.Managed()));
        Assert.Null(outcome.Error);
        Assert.All(outcome.Checks, c => Assert.True(c.Pass, $"{c.Name}: {c.Measured}"));
        var (header, rows) = Csv.Read(Path.Combine(root, "rates", "time_to_threshold.csv"));
        Assert.Equal(8, rows.Count);
        Assert.Equal(Problems.OneHot(8, 2.0).Data.ClassMass[7], rows[7][1], 12);
    }
}
