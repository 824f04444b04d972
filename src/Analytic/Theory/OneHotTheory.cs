namespace HeavyTail.Analytic.Theory;

/// <summary>
/// Exact per-class losses of the one-hot theory model under gradient flow and sign flow, from W(0) = 0.
/// </summary>
/// <remarks>
/// Model: c classes with frequencies π_k, x = e_k, L(W) = Σ_k π_k ℓ_k(W), ℓ_k = −log softmax(W[k, :])_k. Row k of W only
/// affects ℓ_k and its gradient is π_k(p_k − e_k), so rows decouple; by symmetry W[k, k] = a_k(t) and W[k, j] = b_k(t)
/// for j ≠ k. With the margin u = a − b: p_kk = 1/(1 + (c−1)e^(−u)) and ℓ_k = log(1 + (c−1)e^(−u)).
///
/// Gradient flow: a' = π(1 − p_kk), b' = −π p_kj, so u' = π c /(eᵘ + c − 1), i.e. (eᵘ + c − 1) du = πc dt and
/// eᵘ + (c − 1)u = 1 + π c t. With x = (1 + π c t)/(c − 1) − log(c − 1) the solution is u = log((c − 1)·ω(x)), ω the
/// Wright omega function, and ℓ_k(t) = log1p(1/ω(x)). It depends on π_k and t only through π_k·t, and for large t
/// ω ≈ π c t/(c − 1), so ℓ_k ≈ (c − 1)/(c·π_k·t) = Θ(1/(π_k t)) (Theorem 3 of Kunstner et al. 2024).
///
/// Sign flow (sign(0) = 0): every p_kj &gt; 0, so a' = +1, b' = −1 and u = 2t for every class:
/// ℓ_k(t) = log1p((c − 1)e^(−2t)) = Θ(e^(−2t)), independent of π_k.
/// </remarks>
public static class OneHotTheory
{
    /// <summary>ℓ_k(t) under gradient flow for a class of frequency π among c classes.</summary>
    public static double GradientFlowLoss(double t, double pi, int c)
    {
        Check(t, pi, c);
        double a = pi * c / (c - 1);
        double x = Argument(t, pi, c);
        // a·t overflowed (t ≳ 1e308/a): there ω = x(1 − O(log x/x)) and ℓ = log1p(1/ω) = 1/ω to double precision, so ℓ = 1/(a t)
        if (double.IsPositiveInfinity(x)) return 1 / a / t;
        return SpecialFunctions.Log1P(1 / LambertW.WrightOmega(x));
    }

    /// <summary>
    /// The Wright omega argument x = (1 + π c t)/(c − 1) − log(c − 1), written as 1/(c − 1) + a·t − log(c − 1) with
    /// a = πc/(c − 1) ≤ 2 so that it overflows only for t beyond ~1e308 (π c t alone would at t ≈ 1e308/c).
    /// </summary>
    private static double Argument(double t, double pi, int c) => 1.0 / (c - 1) + pi * c / (c - 1) * t - Math.Log(c - 1);

    /// <summary>The margin u = W[k,k] − W[k,j] under gradient flow.</summary>
    public static double GradientFlowMargin(double t, double pi, int c)
    {
        Check(t, pi, c);
        double x = Argument(t, pi, c);
        // past overflow of x, ω = a·t to double precision (see GradientFlowLoss): log ω = log a + log t
        if (double.IsPositiveInfinity(x)) return Math.Log(c - 1) + Math.Log(pi * c / (c - 1)) + Math.Log(t);
        return Math.Log(c - 1) + Math.Log(LambertW.WrightOmega(x));
    }

    /// <summary>ℓ_k(t) under sign flow: log1p((c − 1)e^(−2t)), the same for every class.</summary>
    public static double SignFlowLoss(double t, int c)
    {
        Check(t, 0.5, c);
        return SpecialFunctions.Log1P((c - 1) * Math.Exp(-2 * t));
    }

    /// <summary>The loss L(t) = Σ_k π_k ℓ_k(t) under gradient flow.</summary>
    public static double GradientFlowTotalLoss(double t, IReadOnlyList<double> pi)
    {
        var s = new CompensatedSum();
        foreach (var p in pi) s.Add(p * GradientFlowLoss(t, p, pi.Count));
        return s.Value;
    }

    /// <summary>The time at which ℓ_k reaches <paramref name="threshold"/> under gradient flow (inverting the closed form).</summary>
    public static double GradientFlowTimeToLoss(double threshold, double pi, int c)
    {
        if (!(threshold > 0) || threshold >= Math.Log(c)) throw new ArgumentException($"threshold {threshold} must be in (0, log c).");
        // ℓ = log1p(1/ω) ⇒ ω = 1/expm1(ℓ); x = ω + log ω; t = ((x + log(c−1))(c−1) − 1)/(π c).
        double w = 1 / SpecialFunctions.ExpM1(threshold);
        double x = w + Math.Log(w);
        return ((x + Math.Log(c - 1)) * (c - 1) - 1) / (pi * c);
    }

    /// <summary>The time at which ℓ reaches <paramref name="threshold"/> under sign flow: t = −½ log(expm1(ℓ)/(c − 1)).</summary>
    public static double SignFlowTimeToLoss(double threshold, int c)
    {
        if (!(threshold > 0) || threshold >= Math.Log(c)) throw new ArgumentException($"threshold {threshold} must be in (0, log c).");
        return -0.5 * Math.Log(SpecialFunctions.ExpM1(threshold) / (c - 1));
    }

    private static void Check(double t, double pi, int c)
    {
        if (c < 2) throw new ArgumentException($"c = {c} must be at least 2.", nameof(c));
        if (!(pi > 0) || pi > 1) throw new ArgumentException($"π = {pi} must be in (0, 1].", nameof(pi));
        if (!(t >= 0) || double.IsInfinity(t)) throw new ArgumentException($"t = {t} must be finite and ≥ 0.", nameof(t));
    }
}
