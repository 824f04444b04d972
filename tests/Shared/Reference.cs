using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Tests.Shared;

/// <summary>The managed reference backend shared by the tests (stateless, so safe across parallel tests).</summary>
public static class Reference
{
    public static readonly ManagedLinearAlgebraProvider Managed = new();
}
