namespace HeavyTail.Analytic.Theory;

/// <summary>The principal branch W₀ of the Lambert W function and the Wright omega function ω(x) = W₀(eˣ), to full double precision.</summary>
public static class LambertW
{
    /// <summary>W₀(y) for y ≥ −1/e: the w ≥ −1 with w·eʷ = y.</summary>
    /// <remarks>Starting guess from the branch-point series near −1/e, log(1 + y) in the middle, ω(log y) for large y; then Halley's iteration.</remarks>
    public static double W0(double y)
    {
        const double invE = 0.36787944117144233;
        if (double.IsNaN(y) || y < -invE) throw new ArgumentOutOfRangeException(nameof(y), y, "W₀ is defined for y ≥ −1/e.");
        if (y == 0) return 0;
        if (double.IsPositiveInfinity(y)) return y;
        if (y > 3) return WrightOmega(Math.Log(y));
        double w;
        double p2 = 2 * (Math.E * y + 1);
        if (p2 < 0.25)
        {
            double p = Math.Sqrt(Math.Max(p2, 0));
            w = -1 + p - p * p / 3 + 11.0 / 72 * p * p * p;
            if (p2 < 1e-30) return w;
        }
        else w = Math.Log(1 + y);
        for (int it = 0; it < 50; it++)
        {
            double ew = Math.Exp(w), f = w * ew - y;
            double wp1 = w + 1;
            if (wp1 == 0) break;
            double next = w - f / (ew * wp1 - (w + 2) * f / (2 * wp1));
            if (!double.IsFinite(next)) break;
            if (Math.Abs(next - w) <= 1e-16 * Math.Abs(next)) return next;
            w = next;
        }
        return w;
    }

    /// <summary>ω(x): the solution of ω + log ω = x (ω &gt; 0), i.e. W₀(eˣ), without overflow for large x.</summary>
    /// <remarks>Fritsch–Shafer–Crowley iteration (as in scipy.special.wrightomega), converging to machine precision in ≤ 3 steps.</remarks>
    public static double WrightOmega(double x)
    {
        if (double.IsNaN(x)) return x;
        if (double.IsPositiveInfinity(x)) return x;
        if (x < -745) return Math.Exp(x);
        // Asymptotic form for large x (de Bruijn): ω = x − L + L/x + L(L − 2)/(2x²) + O(L³/x³), L = log x. For x > 1e15 the
        // terms after L/x are below 1e-28 relative, so the sum is ω to double precision; the iteration below would square
        // w + 1 and overflow for x beyond ~1e154.
        if (x > 1e15)
        {
            double l = Math.Log(x);
            return x - l + l / x;
        }
        double w;
        if (x < -2) w = Math.Exp(x);
        else if (x < 1) w = Math.Exp(2 * (x - 1) / 3);
        else w = x - Math.Log(x) + Math.Log(x) / x;
        if (x < -40) return Math.Exp(x); // ω = eˣ(1 − eˣ + …) with eˣ < 4e-18
        for (int it = 0; it < 20; it++)
        {
            double r = x - w - Math.Log(w);
            double wp1 = w + 1;
            double q = 2 * wp1 * (wp1 + 2.0 / 3 * r);
            double next = w * (1 + r / wp1 * (q - r) / (q - 2 * r));
            if (Math.Abs(next - w) <= 2e-16 * Math.Abs(next)) return next;
            w = next;
        }
        return w;
    }
}
