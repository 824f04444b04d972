namespace HeavyTail.Ode.Flows;

/// <summary>
/// A vector field whose state is a matrix of rows of <see cref="RowLength"/> values and whose right-hand side for a row
/// depends only on that row (e.g. gradient flow of a linear model with identity inputs, where row i of W only
/// meets sample i). The integrator then forms each stage's state and evaluates the field block by block while the block is
/// in cache, without writing the intermediate stage state to memory.
/// </summary>
public interface IRowSeparableField : IVectorField
{
    /// <summary>Whether this instance is row-separable (it may depend on the model it was built on).</summary>
    bool IsRowSeparable { get; }
    /// <summary>The number of state values in one row.</summary>
    int RowLength { get; }

    /// <summary>dydt for the rows starting at <paramref name="firstRow"/>; the spans hold whole rows.</summary>
    void EvaluateRows(double t, Span<double> yRows, Span<double> dydtRows, int firstRow);
}
