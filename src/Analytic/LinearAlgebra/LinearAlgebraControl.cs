namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// Chooses the linear-algebra backend used by src/Analytic (as MathNet.Numerics' Control does for its providers).
/// The managed provider is the default and always available.
/// </summary>
public static class LinearAlgebraControl
{
    private static ILinearAlgebraProvider _provider = new ManagedLinearAlgebraProvider();

    public static ILinearAlgebraProvider Provider
    {
        get => _provider;
        set => _provider = value ?? throw new ArgumentNullException(nameof(value));
    }

    public static void UseManaged() => _provider = new ManagedLinearAlgebraProvider();
}
