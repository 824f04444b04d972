namespace HeavyTail.Ode.Flows;

/// <summary>
/// A vector field dy/dt = f(t, y) on flat double states (diffrax's "term"). Implementations write into
/// <paramref name="dydt"/> and must not keep references to the arrays they are given.
/// </summary>
public interface IVectorField
{
    int Dimension { get; }
    void Evaluate(double t, double[] y, double[] dydt);
}

/// <summary>A vector field given by a delegate (for tests and ad-hoc problems).</summary>
public sealed class FunctionField(int dimension, Action<double, double[], double[]> f) : IVectorField
{
    public int Dimension => dimension;
    public void Evaluate(double t, double[] y, double[] dydt) => f(t, y, dydt);
}
