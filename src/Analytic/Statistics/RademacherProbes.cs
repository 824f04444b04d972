namespace HeavyTail.Analytic.Statistics;

/// <summary>The random probe vectors of the stochastic estimators (<see cref="Hutchinson"/>, <see cref="SpectralDensity"/>).</summary>
/// <remarks>
/// Probe s is scale·z_s with z_s Rademacher (entries ±1 with probability ½ each, independent), drawn in order from one
/// <see cref="SeededRandom"/>(seed): E[z zᵀ] = I, so E[z_sᵀ A z_s] = tr(A) and E‖A z_s‖² = ‖A‖_F² (= tr(A²) for symmetric A). The same
/// (seed, scale) and dimension give the same vectors on every platform, so an estimate can be recomputed probe by probe
/// (<see cref="Draw"/>).
/// </remarks>
public sealed class RademacherProbes(long seed, double scale = 1)
{
    private readonly SeededRandom _rng = new(seed);

    /// <summary>Overwrites <paramref name="v"/> with the next probe (no allocation: the estimators reuse one buffer).</summary>
    public void Next(Span<double> v)
    {
        for (int i = 0; i < v.Length; i++) v[i] = _rng.NextSign() * scale;
    }

    /// <summary>The first <paramref name="count"/> probes of length <paramref name="dimension"/>, each a new array.</summary>
    public static IEnumerable<double[]> Draw(int dimension, int count, long seed, double scale = 1)
    {
        Guard.Positive(dimension, nameof(dimension)); Guard.Positive(count, nameof(count));
        return Iterate(dimension, count, new RademacherProbes(seed, scale));
    }

    private static IEnumerable<double[]> Iterate(int dimension, int count, RademacherProbes probes)
    {
        for (int s = 0; s < count; s++)
        {
            var v = new double[dimension];
            probes.Next(v);
            yield return v;
        }
    }
}
