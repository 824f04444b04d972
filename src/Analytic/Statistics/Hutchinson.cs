namespace HeavyTail.Analytic.Statistics;

/// <summary>Hutchinson's stochastic trace estimate tr(A) ≈ (1/S) Σ_s vₛᵀ A vₛ with Rademacher vₛ.</summary>
/// <remarks>
/// vₛ = <see cref="RademacherProbes.Draw"/>(p, S, seed). Unbiased; its variance is 2(‖A‖_F² − Σ_i A_ii²) / S. The standard error
/// returned is the sample one, √(Σ_s (xₛ − x̄)² / ((S − 1)·S)) with xₛ = vₛᵀ A vₛ (NaN for S = 1). Compare with the exact trace
/// from the block traces.
/// </remarks>
public static class Hutchinson
{
    /// <summary>Hutchinson's estimate of tr(A) from <paramref name="samples"/> Rademacher probes of the product <paramref name="matVec"/>(v, Av) on a space of the given dimension, with its sample standard error.</summary>
    public static (double Estimate, double StandardError) Trace(Action<double[], double[]> matVec, int dimension, int samples, long seed = 0)
    {
        Guard.Positive(dimension, nameof(dimension)); Guard.Positive(samples, nameof(samples));
        var probes = new RademacherProbes(seed);
        var v = new double[dimension]; var av = new double[dimension];
        double mean = 0, m2 = 0;
        for (int s = 0; s < samples; s++)
        {
            probes.Next(v);
            matVec(v, av);
            double x = Lanczos.Dot(v, av);
            double delta = x - mean;
            mean += delta / (s + 1);
            m2 += delta * (x - mean);
        }
        double se = samples > 1 ? Math.Sqrt(m2 / (samples - 1) / samples) : double.NaN;
        return (mean, se);
    }
}
