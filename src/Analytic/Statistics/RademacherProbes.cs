namespace HeavyTail.Analytic.Statistics;

/// <summary>The random probe vectors of the stochastic estimators (<see cref="Hutchinson"/>, <see cref="SpectralDensity"/>).</summary>
/// <remarks>
/// Probe s is scale·z_s with z_s Rademacher (entries ±1 with probability ½ each, independent), drawn in order from one
/// <see cref="SeededRandom"/>(seed): E[z zᵀ] = I, so E[z_sᵀ A z_s] = tr(A) and E‖A z_s‖² = tr(A²) for every A. The same
/// (dimension, count, seed, scale) gives the same vectors on every platform, so an estimate can be recomputed probe by probe.
/// </remarks>
public static class RademacherProbes
{
    /// <summary>The <paramref name="count"/> probes, each a new array of length <paramref name="dimension"/>.</summary>
    public static IEnumerable<double[]> Draw(int dimension, int count, long seed, double scale = 1)
    {
        Guard.Positive(dimension, nameof(dimension)); Guard.Positive(count, nameof(count));
        return Iterate(dimension, count, seed, scale);
    }

    private static IEnumerable<double[]> Iterate(int dimension, int count, long seed, double scale)
    {
        var rng = new SeededRandom(seed);
        for (int s = 0; s < count; s++)
        {
            var v = new double[dimension];
            for (int i = 0; i < dimension; i++) v[i] = rng.NextSign() * scale;
            yield return v;
        }
    }
}
