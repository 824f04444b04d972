using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

[assembly: InternalsVisibleTo("HeavyTail.Analytic.Tests")]

namespace HeavyTail.Analytic;

/// <summary>
/// The softmax row step x_i ← exp(x_i − shift) written back together with Σ_i of the results (float64 and float32), and
/// two forwarders; everything element-wise or a plain reduction (exp, sum, max, arg-max, scaling, adding a scalar) is
/// done with System.Numerics.Tensors.TensorPrimitives at the call sites.
/// </summary>
/// <remarks>
/// float64 keeps a hand-written fused pass, not for speed (bench/Kernels ExpShiftSumBenchmarks measures the TensorPrimitives
/// composition Subtract + Exp + Sum 1.3–2× faster at c = 127 and 511, equal at 2047) but for numerical identity: its exp
/// is the one every training run so far was computed with, and TensorPrimitives.Exp rounds differently in the last bit,
/// which would change every trajectory of the managed backend. It has Vector512, Vector256 and Vector128 paths (the widest
/// the CPU accelerates with a hardware FMA) and a scalar tail, so an AVX2-only or Arm64 CPU stays vectorised, with the
/// same terms lane for lane. float32 uses the TensorPrimitives composition, which is the faster one there.
/// </remarks>
public static class VectorMath
{
    private const double Log2E = 1.4426950408889634;
    private const double Ln2Hi = 0.6931471803691238;      // high 32 bits of ln 2
    private const double Ln2Lo = 1.9082149292705877e-10;  // ln 2 − Ln2Hi
    private const double MinNormalArg = -708.3964185322641; // below: subnormal results, computed by Math.Exp
    private const double MaxArg = 709.0; // keeps k ≤ 1023 so 2^k is a normal double
    private const double ExponentShifter = 4503599627370496.0 + 1023.0; // 2^52 + bias: k + this has k + 1023 in its low mantissa bits

    /// <summary>Vector width in bits the float64 fused kernel uses here: 512, 256, 128, or 0 for scalar.</summary>
    /// <remarks>The float64 exp core needs a hardware fused multiply-add (AVX-512F, FMA3 or Arm64 AdvSimd); without it, scalar.</remarks>
    internal static readonly int DoubleWidth =
        Vector512.IsHardwareAccelerated ? 512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? 256
        : Vector128.IsHardwareAccelerated && (Fma.IsSupported || AdvSimd.Arm64.IsSupported) ? 128
        : 0;

    /// <summary>True when every x_i is finite (true for an empty span); <see cref="TensorPrimitives.IsFiniteAll{T}(ReadOnlySpan{T})"/>.</summary>
    /// <remarks>
    /// Kept under this name for callers outside src/Analytic (the ODE integrator). TensorPrimitives.IsFiniteAll returns
    /// false for an empty span; "all of none" is true here, as it always was.
    /// </remarks>
    public static bool AllFinite(ReadOnlySpan<double> x) => x.IsEmpty || TensorPrimitives.IsFiniteAll(x);

    /// <summary>Σ_i x_i; forwards to <see cref="TensorPrimitives.Sum{T}(ReadOnlySpan{T})"/> (its own order of additions).</summary>
    /// <remarks>Kept under this name for callers outside src/Analytic (the softmax-step benchmark of src/Experiments).</remarks>
    public static double Sum(ReadOnlySpan<double> x) => TensorPrimitives.Sum(x);

    /// <summary>x_i ← exp(x_i − shift) in place; returns Σ_i of the results (one pass).</summary>
    /// <remarks>
    /// With t = x − shift: t = k·ln 2 + r, k = ⌊t·log₂e + ½⌋ and r = (t − k·ln2_hi) − k·ln2_lo (Cody–Waite, |r| ≤ 0.347),
    /// then e^r by its degree-13 Taylor polynomial in Horner form with fused multiply-adds (truncation ≤ 0.347¹⁴/14! ≈ 4e-18)
    /// and 2^k from the exponent bits: within 2 ulp of Math.Exp(t). A block with any t outside [−708.4, 709] (subnormal or
    /// overflowing results), NaN or ±∞ is done by Math.Exp (−∞ ↦ 0 exactly). Each lane's exp is the same at every vector
    /// width; the lanes are summed in vector accumulators, so the order of additions (not the terms) depends on the width.
    /// Rows shorter than one vector are scalar (Math.Exp).
    /// Σ of n positive terms: relative error ≤ 4u + γ_n ≈ (n + 4)·2⁻⁵³.
    /// </remarks>
    public static double ExpShiftSum(Span<double> x, double shift) => ExpShiftSum(x, shift, DoubleWidth);

    /// <summary>
    /// <see cref="ExpShiftSum(Span{double}, double)"/> with vectors of <paramref name="width"/> bits (512, 256, 128 or 0 for
    /// scalar), for tests. A row shorter than one vector is done by Math.Exp, as it always was on the Vector512 path (rows of
    /// c &lt; 8 classes keep their bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double ExpShiftSum(Span<double> x, double shift, int width)
    {
        if (width is not (512 or 256 or 128 or 0)) throw new ArgumentOutOfRangeException(nameof(width), width, "width must be 512, 256, 128 or 0.");
        int n = x.Length, i = 0;
        double s = 0;
        // each vector path sums its own terms from 0 (s is still 0 here), so the order of additions is the one-loop kernel's
        if (width == 512 && n >= 8) s = ExpShiftSum512(x, shift, out i);
        else if (width == 256 && n >= 4) s = ExpShiftSum256(x, shift, out i);
        else if (width == 128 && n >= 2) s = ExpShiftSum128(x, shift, out i);
        for (; i < n; i++) { x[i] = Math.Exp(x[i] - shift); s += x[i]; }
        return s;
    }

    /// <summary>The 512-bit path of <see cref="ExpShiftSum(Span{double}, double, int)"/> over the whole vectors of <paramref name="x"/>; <paramref name="done"/> is the count of elements it did.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ExpShiftSum512(Span<double> x, double shift, out int done)
    {
        double s = 0;
        var xs = MemoryMarshal.Cast<double, Vector512<double>>(x);
        var lo = Vector512.Create(MinNormalArg); var hi = Vector512.Create(MaxArg); var sh = Vector512.Create(shift);
        var acc = Vector512<double>.Zero;
        for (int v = 0; v < xs.Length; v++)
        {
            var xv = xs[v] - sh;
            if (Vector512.LessThanAny(xv, lo) || Vector512.GreaterThanAny(xv, hi) || !Vector512.EqualsAll(xv, xv))
            {
                for (int q = v * 8; q < (v + 1) * 8; q++) { x[q] = Math.Exp(x[q] - shift); s += x[q]; }
                continue;
            }
            var e = ExpCore(xv);
            xs[v] = e;
            acc += e;
        }
        s += Vector512.Sum(acc);
        done = xs.Length * 8;
        return s;
    }

    /// <summary>The 256-bit path of <see cref="ExpShiftSum(Span{double}, double, int)"/> over the whole vectors of <paramref name="x"/>; <paramref name="done"/> is the count of elements it did.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ExpShiftSum256(Span<double> x, double shift, out int done)
    {
        double s = 0;
        var xs = MemoryMarshal.Cast<double, Vector256<double>>(x);
        var lo = Vector256.Create(MinNormalArg); var hi = Vector256.Create(MaxArg); var sh = Vector256.Create(shift);
        var acc = Vector256<double>.Zero;
        for (int v = 0; v < xs.Length; v++)
        {
            var xv = xs[v] - sh;
            if (Vector256.LessThanAny(xv, lo) || Vector256.GreaterThanAny(xv, hi) || !Vector256.EqualsAll(xv, xv))
            {
                for (int q = v * 4; q < (v + 1) * 4; q++) { x[q] = Math.Exp(x[q] - shift); s += x[q]; }
                continue;
            }
            var e = ExpCore(xv);
            xs[v] = e;
            acc += e;
        }
        s += Vector256.Sum(acc);
        done = xs.Length * 4;
        return s;
    }

    /// <summary>The 128-bit path of <see cref="ExpShiftSum(Span{double}, double, int)"/> over the whole vectors of <paramref name="x"/>; <paramref name="done"/> is the count of elements it did.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ExpShiftSum128(Span<double> x, double shift, out int done)
    {
        double s = 0;
        var xs = MemoryMarshal.Cast<double, Vector128<double>>(x);
        var lo = Vector128.Create(MinNormalArg); var hi = Vector128.Create(MaxArg); var sh = Vector128.Create(shift);
        var acc = Vector128<double>.Zero;
        for (int v = 0; v < xs.Length; v++)
        {
            var xv = xs[v] - sh;
            if (Vector128.LessThanAny(xv, lo) || Vector128.GreaterThanAny(xv, hi) || !Vector128.EqualsAll(xv, xv))
            {
                for (int q = v * 2; q < (v + 1) * 2; q++) { x[q] = Math.Exp(x[q] - shift); s += x[q]; }
                continue;
            }
            var e = ExpCore(xv);
            xs[v] = e;
            acc += e;
        }
        s += Vector128.Sum(acc);
        done = xs.Length * 2;
        return s;
    }

    // The three exp cores are the same operation sequence, lane for lane (see ExpShiftSum's remarks); only the width differs.
    // The 256- and 128-bit cores form 2^k as the low bits of k + 2^52 + 1023 (exact for |k| ≤ 1023) rather than by a
    // double → int64 conversion, which AVX2 lacks; both give the same bits.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> ExpCore(Vector512<double> x)
    {
        var k = Vector512.Floor(Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(0.5)));
        var r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.Create(1.0 / 6227020800.0);                                   // 1/13!
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 479001600.0));      // 1/12!
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 39916800.0));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 3628800.0));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 362880.0));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 40320.0));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 5040.0));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 720.0));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 120.0));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 24.0));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0 / 6.0));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<double>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<double>.One);
        var bits = Vector512.ShiftLeft(Vector512.ConvertToInt64(k) + Vector512.Create(1023L), 52);
        return p * bits.AsDouble();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ExpCore(Vector256<double> x)
    {
        var k = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(0.5)));
        var r = Vector256.FusedMultiplyAdd(k, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(k, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.Create(1.0 / 6227020800.0);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 479001600.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 39916800.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 3628800.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 362880.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 40320.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 5040.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 720.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 120.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 24.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 6.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<double>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<double>.One);
        var bits = Vector256.ShiftLeft((k + Vector256.Create(ExponentShifter)).AsUInt64(), 52);
        return p * bits.AsDouble();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<double> ExpCore(Vector128<double> x)
    {
        var k = Vector128.Floor(Vector128.FusedMultiplyAdd(x, Vector128.Create(Log2E), Vector128.Create(0.5)));
        var r = Vector128.FusedMultiplyAdd(k, Vector128.Create(-Ln2Hi), x);
        r = Vector128.FusedMultiplyAdd(k, Vector128.Create(-Ln2Lo), r);
        var p = Vector128.Create(1.0 / 6227020800.0);
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 479001600.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 39916800.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 3628800.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 362880.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 40320.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 5040.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 720.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 120.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 24.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.0 / 6.0));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(0.5));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128<double>.One);
        p = Vector128.FusedMultiplyAdd(p, r, Vector128<double>.One);
        var bits = Vector128.ShiftLeft((k + Vector128.Create(ExponentShifter)).AsUInt64(), 52);
        return p * bits.AsDouble();
    }

    /// <summary>x_i ← exp(x_i − shift) in float32, in place; returns Σ_i of the results.</summary>
    /// <remarks>
    /// Three TensorPrimitives passes, Subtract, Exp and Sum: bench/Kernels measured them 2× faster than a fused
    /// Vector512.Exp pass at c = 127…2047 (see ExpShiftSumBenchmarks), so float32 has no hand-written kernel. Exp is within
    /// 1.5·2⁻²³ relative of the double-precision exp of the float difference (−∞ ↦ 0); Σ in float32, relative error
    /// ≤ (n + 3)·2⁻²⁴ whatever the order of additions.
    /// </remarks>
    public static float ExpShiftSum(Span<float> x, float shift)
    {
        TensorPrimitives.Subtract(x, shift, x);
        TensorPrimitives.Exp(x, x);
        return TensorPrimitives.Sum<float>(x);
    }
}
