namespace HeavyTail.Analytic;

/// <summary>Elementary functions with full relative accuracy where the naive forms cancel.</summary>
public static class SpecialFunctions
{
    /// <summary>log(1 + x) accurate for tiny x (Kahan's trick: log(u)·x/(u − 1) with u = 1 + x).</summary>
    /// <remarks>.NET's double.LogP1 evaluates log(x + 1) and loses all digits for |x| &lt; 1e-16.</remarks>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u)) return u;
        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>exp(x) − 1 accurate for tiny x (Kahan's trick: (u − 1)·x/log(u) with u = eˣ).</summary>
    public static double ExpM1(double x)
    {
        if (Math.Abs(x) < 1e-5) return x + x * x / 2 + x * x * x / 6;
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        if (double.IsPositiveInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }
}
