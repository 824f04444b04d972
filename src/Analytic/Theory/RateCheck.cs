namespace HeavyTail.Analytic.Theory;

/// <summary>A predicted and a fitted value, with the fit's residual spread.</summary>
public sealed record RateFit(string Quantity, double Predicted, double Fitted, double ResidualStd)
{
    /// <summary>|Fitted − Predicted|.</summary>
    public double AbsoluteError => Math.Abs(Fitted - Predicted);
}

/// <summary>
/// Fits the late-time decay of per-class losses and its dependence on the class frequency:
/// gradient flow, ℓ_k ≈ C/(π_k t): slope of log ℓ vs log t ≈ −1, and of log ℓ_k(T) vs log π_k ≈ −1;
/// sign flow, ℓ_k ≈ (c−1)e^(−2t): slope of log ℓ vs t ≈ −2, and of log ℓ_k(T) vs log π_k ≈ 0.
/// </summary>
public static class RateCheck
{
    /// <summary>Least-squares slope and residual standard deviation of y on x (pairs with non-finite values are skipped).</summary>
    public static (double Slope, double Intercept, double ResidualStd) LinearFit(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var idx = Enumerable.Range(0, x.Count).Where(i => double.IsFinite(x[i]) && double.IsFinite(y[i])).ToArray();
        if (idx.Length < 2) return (double.NaN, double.NaN, double.NaN);
        double mx = idx.Average(i => x[i]), my = idx.Average(i => y[i]);
        double sxy = idx.Sum(i => (x[i] - mx) * (y[i] - my)), sxx = idx.Sum(i => (x[i] - mx) * (x[i] - mx));
        double slope = sxy / sxx, icpt = my - slope * mx;
        double res = Math.Sqrt(idx.Sum(i => Math.Pow(y[i] - icpt - slope * x[i], 2)) / idx.Length);
        return (slope, icpt, res);
    }

    /// <summary>Exponent p of ℓ(t) ≈ C·t^p over the times in [tFrom, ∞).</summary>
    public static RateFit PowerLawExponent(IReadOnlyList<double> t, IReadOnlyList<double> loss, double tFrom, double predicted = -1)
    {
        var idx = Enumerable.Range(0, t.Count).Where(i => t[i] >= tFrom && t[i] > 0 && loss[i] > 0).ToArray();
        var (s, _, r) = LinearFit(idx.Select(i => Math.Log(t[i])).ToArray(), idx.Select(i => Math.Log(loss[i])).ToArray());
        return new RateFit("exponent of t", predicted, s, r);
    }

    /// <summary>Rate r of ℓ(t) ≈ C·e^(r t) over the times in [tFrom, ∞).</summary>
    public static RateFit ExponentialRate(IReadOnlyList<double> t, IReadOnlyList<double> loss, double tFrom, double predicted = -2)
    {
        var idx = Enumerable.Range(0, t.Count).Where(i => t[i] >= tFrom && loss[i] > 0).ToArray();
        var (s, _, r) = LinearFit(idx.Select(i => t[i]).ToArray(), idx.Select(i => Math.Log(loss[i])).ToArray());
        return new RateFit("exponential rate", predicted, s, r);
    }

    /// <summary>Slope of log ℓ_k vs log π_k at one time (gradient flow predicts −1, sign flow 0).</summary>
    public static RateFit FrequencyDependence(IReadOnlyList<double> pi, IReadOnlyList<double> loss, double predicted)
    {
        var idx = Enumerable.Range(0, pi.Count).Where(i => pi[i] > 0 && loss[i] > 0).ToArray();
        var (s, _, r) = LinearFit(idx.Select(i => Math.Log(pi[i])).ToArray(), idx.Select(i => Math.Log(loss[i])).ToArray());
        return new RateFit("slope in log π", predicted, s, r);
    }
}
