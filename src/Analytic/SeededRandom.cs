namespace HeavyTail.Analytic;

/// <summary>
/// Deterministic pseudo-random numbers: xoshiro256** seeded through SplitMix64.
/// The same seed gives the same sequence on every platform and .NET version
/// (unlike <see cref="System.Random"/>, whose algorithm is an implementation detail).
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareGaussian;

    /// <summary>A generator whose state is four SplitMix64 outputs from <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>As the unsigned constructor, with the seed's bits reinterpreted (so −1 and 2⁶⁴ − 1 give the same sequence).</summary>
    public SeededRandom(long seed) : this(unchecked((ulong)seed)) { }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits (one xoshiro256** step).</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be positive.");
        return (int)((NextUInt64() >> 11) % (ulong)n);
    }

    /// <summary>Standard normal by the Marsaglia polar method.</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is double spare) { _spareGaussian = null; return spare; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareGaussian = v * f;
        return u * f;
    }

    /// <summary>±1 with equal probability (Rademacher).</summary>
    public double NextSign() => (NextUInt64() >> 63) == 0 ? 1.0 : -1.0;

    /// <summary>Fills <paramref name="x"/> with uniform draws from [0, 1).</summary>
    public void FillUniform(Span<double> x) { for (int i = 0; i < x.Length; i++) x[i] = NextDouble(); }
    /// <summary>Fills <paramref name="x"/> with draws from N(0, scale²).</summary>
    public void FillGaussian(Span<double> x, double scale = 1.0) { for (int i = 0; i < x.Length; i++) x[i] = scale * NextGaussian(); }
}
