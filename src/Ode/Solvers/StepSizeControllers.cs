namespace HeavyTail.Ode.Solvers;

/// <summary>Chooses step sizes: fixed, or adaptive from an embedded error estimate.</summary>
public interface IStepSizeController
{
    /// <summary>Safety limit on the number of steps (accepted + rejected).</summary>
    int MaxSteps { get; }
    bool IsAdaptive { get; }
}

/// <summary>Fixed steps h = (t1 − t0)/Steps (the last one lands on t1 exactly).</summary>
public sealed record ConstantStepSize(int Steps) : IStepSizeController
{
    public int MaxSteps => Steps + 1;
    public bool IsAdaptive => false;
}

/// <summary>
/// PI step-size control (Gustafsson; Hairer &amp; Wanner's DOPRI5). Error norm: RMS over components of
/// e_i / (atol + rtol·max(|y_i|, |y_i,new|)); a step is accepted when the norm is ≤ 1.
/// h_new = h / clamp(err^(1/k − 0.75β) / err_prev^β / safety, 1/MaxGrowth, 1/MinShrink), k = (embedded order) + 1.
/// The initial step follows Hairer's heuristic (one extra function evaluation).
/// </summary>
public sealed record PIController(double Rtol = 1e-6, double Atol = 1e-9, int MaxSteps = 100_000) : IStepSizeController
{
    public bool IsAdaptive => true;
    public double Safety { get; init; } = 0.9;
    public double Beta { get; init; } = 0.04;
    public double MinShrink { get; init; } = 0.2;
    public double MaxGrowth { get; init; } = 10.0;
    /// <summary>Explicit first step; null for the heuristic.</summary>
    public double? InitialStep { get; init; }

    public void Validate()
    {
        if (!(Rtol >= 0) || !(Atol >= 0) || Rtol + Atol <= 0)
            throw new ArgumentException($"tolerances rtol = {Rtol}, atol = {Atol} must be ≥ 0 and not both 0.");
        if (MaxSteps < 1) throw new ArgumentException($"max steps = {MaxSteps} must be positive.");
    }
}
