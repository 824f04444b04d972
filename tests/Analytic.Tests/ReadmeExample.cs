using FsCheck.Xunit;
using HeavyTail.Analytic.Testing;

namespace HeavyTail.Analytic.Tests;

/// <summary>The README's property-testing example, kept compiling and passing.</summary>
public class MyConjectures
{
    [Property(Arbitrary = [typeof(CrossEntropyArbitraries)], MaxTest = 200, Replay = "(1,3)")]
    public bool Hessian_is_psd_and_blind_to_shifting_all_columns(ProblemCase p)
    {
        var model = p.Model(); var w = p.Weights();
        var ones = Enumerable.Repeat(1.0, model.D).ToArray();
        return HessianProperties.IsPositiveSemidefinite(model.DenseHessian(w))
            && HessianProperties.ColumnShiftResponse(model, w, ones) < 1e-12;
    }
}
