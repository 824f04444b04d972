using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Gpu.Tests;

/// <summary>The managed reference backend shared by the tests (stateless, so safe across parallel tests).</summary>
internal static class Reference
{
    public static readonly ManagedLinearAlgebraProvider Managed = new();
}
