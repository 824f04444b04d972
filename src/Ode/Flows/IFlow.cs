namespace HeavyTail.Ode.Flows;

/// <summary>
/// A vector field dy/dt = f(t, y) on flat double states (diffrax's "term"). Implementations write into
/// <c>dydt</c> and must not keep references to the arrays they are given.
/// </summary>
public interface IVectorField
{
    /// <summary>The length of the state y.</summary>
    int Dimension { get; }
    /// <summary>Writes f(t, y) into <paramref name="dydt"/> (same length as y).</summary>
    void Evaluate(double t, double[] y, double[] dydt);

    /// <summary>
    /// Worker threads the solver's own vector passes may use on this field's state (a model's flow: its compute context's,
    /// so `--threads` holds there too); every core by default.
    /// </summary>
    int Threads => Environment.ProcessorCount;
}

/// <summary>A vector field given by a delegate (for tests and ad-hoc problems).</summary>
public sealed class FunctionField(int dimension, Action<double, double[], double[]> f) : IVectorField
{
    /// <inheritdoc/>
    public int Dimension => dimension;
    /// <inheritdoc/>
    public void Evaluate(double t, double[] y, double[] dydt) => f(t, y, dydt);
}
