using HeavyTail.Ode.Training;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Ode.Tests;

/// <summary>A data set made from float32 inputs (a float32 run that never forms the float64 X) against the float64 data rounded.</summary>
public class SingleInputsTests
{
    private static double[] Losses(IStepper s, int steps)
    {
        var losses = new List<double>();
        bool[] on = [true, true];
        for (int t = 0; t < steps; t++) { losses.AddRange(s.Evaluate(false, true).ToArray()); s.Update(on.AsSpan(0, s.Runs)); }
        losses.AddRange(s.Evaluate(true, false).ToArray());
        return losses.ToArray();
    }

    [Fact]
    public void Float32_inputs_are_the_float64_inputs_rounded_and_widen_on_demand()
    {
        var wide = Problems.HtRandom(4, seed: 3);
        var single = Problems.HtRandom(4, seed: 3, singleInputs: true);
        Assert.Null(wide.Data.SingleInputs);
        Assert.Equal(wide.Data.X.Select(v => (float)v), single.Data.SingleInputs!);
        Assert.Equal(single.Data.SingleInputs!.Select(v => (double)v), single.Data.X);
        Assert.Same(single.Data.X, single.Data.X);
        Assert.Throws<ArgumentException>(() => Problems.HtRandom(4, seed: 3, rotateSeed: 1, singleInputs: true));
        Assert.Throws<ArgumentException>(() => new Dataset(new[] { 1f, float.NaN }, [0, 0], 2, 1, 1));
    }

    [Theory]
    [InlineData("primal")]
    [InlineData("gram")]
    public void A_float32_run_on_float32_inputs_equals_the_run_on_float64_inputs_bit_for_bit(string path)
    {
        // the float32 passes round X once either way, so the two runs see the same float32 numbers
        var wide = Problems.HtRandom(5, seed: 2);
        var single = Problems.HtRandom(5, seed: 2, singleInputs: true);
        var settings = new[] { new OptimizerSettings("gd", 0.5), new OptimizerSettings("gd-m", 0.2) };
        IStepper Make(Problem p)
        {
            var model = new SoftmaxCrossEntropyModel(p.Data, new SinglePrecisionProvider(new ManagedLinearAlgebraProvider(threads: 2)));
            return path == "gram" ? new GramStepper(model, settings, p.Groups)
                : LinearSteppers.Create(model, settings.Select(o => o.Create(model)).ToList(), p.Groups, Precision.Float32);
        }
        IStepper a = Make(wide), b = Make(single);
        Assert.Equal(Losses(a, 6), Losses(b, 6));
        Assert.Equal(a.Weights(1), b.Weights(1));
        // the float32 data set was not widened by the float32 run
        Assert.Null(typeof(Dataset).GetField("_x", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(single.Data));
    }
}
