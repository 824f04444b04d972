using System.Numerics;

namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// A backend that packs a GEMM's left operand op(A) once for many products with it (the managed backend: its micro-kernel's
/// panel layout, <see cref="PackedGemmOperand{T}"/>). Reached through <see cref="ILinearAlgebraProvider.Packing"/>.
/// </summary>
public interface IGemmPacking
{
    /// <summary>op(A) (m × k; A stored m × k, or k × m with <paramref name="transA"/>; leading dimension lda) packed.</summary>
    PackedGemmOperand<T> Pack<T>(bool transA, int m, int k, T[] a, int lda) where T : unmanaged, INumber<T>;

    /// <summary>C ← α·op(A)·B + β·C with B k × n (leading dimension ldb), C m × n: the same numbers as the unpacked GEMM.</summary>
    void Gemm<T>(PackedGemmOperand<T> a, int n, T alpha, T[] b, int ldb, T beta, T[] c, int ldc) where T : unmanaged, INumber<T>;
}

/// <summary>
/// A left operand op(A) that many GEMMs share (the data matrix X of a training run, in X·W and Xᵀ·R every step): packed
/// once where the backend packs (<see cref="ILinearAlgebraProvider.Packing"/>), so no product packs it again, else the array
/// itself handed to every GEMM. Either way <see cref="Gemm"/> gives the backend's own GEMM result.
/// </summary>
/// <remarks>A packed operand holds a copy of op(A) (m rounded up to the kernel's row tile, times k) and no reference to the array.</remarks>
public sealed class SharedLeftOperand<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ILinearAlgebraProvider _la;
    private readonly IGemmPacking? _packing;
    private readonly PackedGemmOperand<T>? _packed;
    private readonly T[]? _a;
    private readonly bool _transA;
    private readonly int _m, _k, _lda;

    /// <param name="pack">false: hand the array to every GEMM even where the backend could pack (no copy).</param>
    public SharedLeftOperand(ILinearAlgebraProvider la, bool transA, int m, int k, T[] a, int lda, bool pack = true)
    {
        _la = la ?? throw new ArgumentNullException(nameof(la));
        ArgumentNullException.ThrowIfNull(a);
        _transA = transA; _m = m; _k = k; _lda = lda;
        // a float32 backend's float64 GEMMs round their operands to float32: those are not packed (they would skip the rounding)
        _packing = pack && (typeof(T) == typeof(float) || !la.SinglePrecision) ? la.Packing : null;
        if (_packing != null) _packed = _packing.Pack(transA, m, k, a, lda);
        else _a = a;
    }

    /// <summary>m: rows of op(A).</summary>
    public int Rows => _m;
    /// <summary>k: columns of op(A).</summary>
    public int Depth => _k;
    /// <summary>Whether the backend packed it.</summary>
    public bool IsPacked => _packed != null;
    /// <summary>Bytes of the packed copy (0 when the array is used as is).</summary>
    public long PackedBytes => _packed?.Bytes ?? 0;

    /// <summary>C ← α·op(A)·B + β·C, B k × n (leading dimension ldb), C m × n (leading dimension ldc).</summary>
    public void Gemm(int n, T alpha, T[] b, int ldb, T beta, T[] c, int ldc)
    {
        if (_packed != null) _packing!.Gemm(_packed, n, alpha, b, ldb, beta, c, ldc);
        else _la.Gemm(_transA, false, _m, n, _k, alpha, _a!, _lda, b, ldb, beta, c, ldc);
    }
}
