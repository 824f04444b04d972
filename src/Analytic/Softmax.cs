using System.Numerics.Tensors;

namespace HeavyTail.Analytic;

/// <summary>
/// Row kernels for softmax and cross-entropy, allocation-free on spans, with the row maximum subtracted.
/// </summary>
/// <remarks>
/// For logits z ∈ R^c with m = max_j z_j, e_j = exp(z_j − m), s = Σ_j e_j:
/// p_j = e_j / s and log p_j = z_j − m − log s.
/// Cross-entropy ℓ = −log p_y is computed in the form that keeps relative accuracy:
/// if z_y is the largest logit, ℓ = log1p(Σ_{j≠y} e^{z_j − z_y}) (accurate down to 1e-300);
/// otherwise ℓ = (m − z_y) + log s (≥ log 2, no cancellation).
/// Likewise 1 − p_y is formed as Σ_{j≠y} p_j, never by subtraction.
/// </remarks>
public static class Softmax
{
    /// <summary>log Σ_j exp(z_j), max-subtracted.</summary>
    public static double LogSumExp(ReadOnlySpan<double> z)
    {
        if (z.Length == 0) throw new ArgumentException("z is empty.", nameof(z));
        double m = Max(z);
        if (double.IsNegativeInfinity(m)) return m;
        double s = 0;
        for (int j = 0; j < z.Length; j++) s += Math.Exp(z[j] - m);
        return m + Math.Log(s);
    }

    /// <summary>Row-wise log-softmax: out_j = z_j − logsumexp(z), formed as (z_j − m) − log Σ_k e^{z_k − m}; may alias.</summary>
    public static void LogSoftmax(ReadOnlySpan<double> z, Span<double> output)
    {
        Guard.Length(output.Length, z.Length, nameof(output), "same length as z");
        // (z_j − m) − log s rather than z_j − (m + log s): the first difference is exact for nearby logits.
        double m = Max(z), s = 0;
        for (int j = 0; j < z.Length; j++) s += Math.Exp(z[j] - m);
        double logS = Math.Log(s);
        for (int j = 0; j < z.Length; j++) output[j] = (z[j] - m) - logS;
    }

    /// <summary>p = softmax(z).</summary>
    public static void Probabilities(ReadOnlySpan<double> z, Span<double> p)
    {
        Guard.Length(p.Length, z.Length, nameof(p), "same length as z");
        double m = Max(z), s = 0;
        for (int j = 0; j < z.Length; j++) { p[j] = Math.Exp(z[j] - m); s += p[j]; }
        double inv = 1.0 / s;
        for (int j = 0; j < z.Length; j++) p[j] *= inv;
    }

    /// <summary>Cross-entropy −log softmax(z)_y with full relative accuracy (see remarks of the class).</summary>
    public static double CrossEntropy(ReadOnlySpan<double> z, int y)
    {
        if ((uint)y >= (uint)z.Length) throw new ArgumentException($"label {y} outside 0..{z.Length - 1}.", nameof(y));
        double m = Max(z), zy = z[y];
        double rest = 0;
        if (zy == m)
        {
            for (int j = 0; j < z.Length; j++) if (j != y) rest += Math.Exp(z[j] - zy);
            return SpecialFunctions.Log1P(rest);
        }
        double s = 0;
        for (int j = 0; j < z.Length; j++) s += Math.Exp(z[j] - m);
        return (m - zy) + Math.Log(s);
    }

    /// <summary>
    /// Fused row pass: returns ℓ = −log p_y and overwrites <paramref name="z"/> with scale·(p − e_y), the y entry formed as
    /// −scale·Σ_{j≠y} p_j (never 1 − p_y by subtraction).
    /// </summary>
    public static double CrossEntropyGradientInPlace(Span<double> z, int y, double scale)
    {
        if ((uint)y >= (uint)z.Length) throw new ArgumentException($"label {y} outside 0..{z.Length - 1}.", nameof(y));
        int argmax = TensorPrimitives.IndexOfMax<double>(z);
        double m = z[argmax], zy = z[y];
        // e_y is taken out of the vector pass (z_y → −∞) so that pass sums exactly Σ_{j≠y} e_j.
        z[y] = double.NegativeInfinity;
        double restY = VectorMath.ExpShiftSum(z, m);
        double ey = Math.Exp(zy - m);
        double s = restY + ey;
        double inv = 1.0 / s;
        double loss = zy == m ? SpecialFunctions.Log1P(restY) : (m - zy) + Math.Log(s);
        TensorPrimitives.Multiply(z, inv * scale, z);
        z[y] = -restY * inv * scale;
        return loss;
    }

    /// <summary>
    /// float32 version of the fused row pass: returns ℓ = −log p_y (formed in double from the float32 sums) and overwrites
    /// <paramref name="z"/> with scale·(p − e_y), the y entry formed as −scale·Σ_{j≠y} p_j.
    /// </summary>
    public static double CrossEntropyGradientInPlace(Span<float> z, int y, float scale)
    {
        if ((uint)y >= (uint)z.Length) throw new ArgumentException($"label {y} outside 0..{z.Length - 1}.", nameof(y));
        float m = TensorPrimitives.Max<float>(z), zy = z[y];
        z[y] = float.NegativeInfinity;
        float restY = VectorMath.ExpShiftSum(z, m);
        float ey = MathF.Exp(zy - m);
        double s = (double)restY + ey;
        double loss = zy == m ? SpecialFunctions.Log1P(restY) : ((double)m - zy) + Math.Log(s);
        float inv = (float)(1.0 / s);
        TensorPrimitives.Multiply(z, inv * scale, z);
        z[y] = -restY * inv * scale;
        return loss;
    }

    /// <summary>
    /// Overwrites z with p and returns 1 − p_a at the arg-max a as Σ_{j≠a} p_j (for p(1 − p) without cancellation).
    /// </summary>
    public static double ProbabilitiesInPlace(Span<double> z, out int argmax)
    {
        argmax = ArgMax(z);
        double m = z[argmax];
        TensorPrimitives.Subtract(z, m, z);
        TensorPrimitives.Exp(z, z);
        // Σ_{j≠a} summed around the arg-max (never as a total minus p_a).
        double restA = TensorPrimitives.Sum<double>(z[..argmax]) + TensorPrimitives.Sum<double>(z[(argmax + 1)..]);
        double inv = 1.0 / (restA + z[argmax]);
        TensorPrimitives.Multiply(z, inv, z);
        return restA * inv;
    }

    /// <summary>p_j(1 − p_j) given p and the precise 1 − p_a at the arg-max column.</summary>
    public static double Curvature(double pj, int j, int argmax, double restArgmax) =>
        j == argmax ? pj * restArgmax : pj * (1.0 - pj);

    /// <summary>The largest entry of <paramref name="z"/> (−∞ for an empty span; NaN entries are skipped by the comparison).</summary>
    public static double Max(ReadOnlySpan<double> z)
    {
        double m = double.NegativeInfinity;
        for (int j = 0; j < z.Length; j++) if (z[j] > m) m = z[j];
        return m;
    }

    /// <summary>Index of the first largest entry (<see cref="TensorPrimitives.IndexOfMax{T}(ReadOnlySpan{T})"/>).</summary>
    /// <remarks>
    /// IEEE 754 maximum: the first index on ties, the first NaN if there is one, and +0 counts as larger than −0
    /// (so [−0, +0] gives 1; the value z[a] is the same either way for the softmax row passes).
    /// </remarks>
    public static int ArgMax(ReadOnlySpan<double> z)
    {
        if (z.Length == 0) throw new ArgumentException("z is empty.", nameof(z));
        return TensorPrimitives.IndexOfMax(z);
    }
}
