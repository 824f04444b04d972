using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// Cache-blocked managed GEMM, C ← α·op(A)·op(B) + β·C, row-major, vectorised with <see cref="Vector{T}"/>
/// and parallel over row blocks of C. op(B) is packed into a contiguous k×n panel when transposed.
/// The micro-kernel keeps a 4×(3·Vector512&lt;T&gt;.Count) block of C in twelve registers over a k-block of 256, with fused
/// multiply-adds, where the CPU has AVX-512; otherwise a 4×(2·Vector&lt;T&gt;.Count) block.
/// </summary>
public static unsafe class ManagedGemm
{
    private const int KBlock = 128;
    private const int NBlock = 256;
    private const int RowsPerTask = 32;

    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha, T[] a, int lda,
        T[] b, int ldb, T beta, T[] c, int ldc) where T : unmanaged, INumber<T>
    {
        ValidateShapes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0) return;
        ScaleC(m, n, beta, c, ldc);
        if (k == 0 || alpha == T.Zero) return;

        // Column counts that are not a multiple of the vector width are padded with zeros (op(B) and C copied into
        // k×n' and m×n' buffers), so every column runs through the vector kernels; the copies cost O(kn + mn).
        int wv = Vector512.IsHardwareAccelerated ? Vector512<T>.Count : Vector<T>.Count;
        int nPad = n % wv == 0 ? n : (n + wv - 1) / wv * wv;
        bool padC = nPad != n && n >= wv;
        if (!padC) nPad = n;
        T[]? packed = null, cPadded = null;
        try
        {
            T[] bRows; int ldbRows;
            if (transB || padC)
            {
                packed = ArrayPool<T>.Shared.Rent(k * nPad);
                for (int p = 0; p < k; p++)
                {
                    for (int j = 0; j < n; j++) packed[p * nPad + j] = transB ? b[j * ldb + p] : b[p * ldb + j];
                    for (int j = n; j < nPad; j++) packed[p * nPad + j] = T.Zero;
                }
                bRows = packed; ldbRows = nPad;
            }
            else { bRows = b; ldbRows = ldb; }
            T[] cTarget = c; int ldcTarget = ldc;
            if (padC)
            {
                cPadded = ArrayPool<T>.Shared.Rent(m * nPad);
                for (int i = 0; i < m; i++)
                {
                    Array.Copy(c, i * ldc, cPadded, i * nPad, n);
                    Array.Clear(cPadded, i * nPad + n, nPad - n);
                }
                cTarget = cPadded; ldcTarget = nPad;
            }

            int tasks = (m + RowsPerTask - 1) / RowsPerTask;
            double flops = 2.0 * m * n * k;
            fixed (T* pa = a, pb = bRows, pc = cTarget)
            {
                nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
                int nn = nPad, ldcc = ldcTarget;
                void Body(int t)
                {
                    int i0 = t * RowsPerTask, i1 = Math.Min(m, i0 + RowsPerTask);
                    Block((T*)ia, lda, transA, (T*)ib, ldbRows, (T*)ic, ldcc, i0, i1, nn, k, alpha);
                }
                if (flops < 4e6 || tasks == 1) for (int t = 0; t < tasks; t++) Body(t);
                else Parallel.For(0, tasks, Body);
            }
            if (padC)
                for (int i = 0; i < m; i++) Array.Copy(cPadded!, i * nPad, c, i * ldc, n);
        }
        finally
        {
            if (packed != null) ArrayPool<T>.Shared.Return(packed);
            if (cPadded != null) ArrayPool<T>.Shared.Return(cPadded);
        }
    }

    /// <summary>Checks sizes and that every matrix's array is long enough for its shape and leading dimension (shared by all backends).</summary>
    public static void ValidateShapes<T>(bool transA, bool transB, int m, int n, int k, T[] a, int lda, T[] b, int ldb, T[] c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"negative GEMM size m={m}, n={n}, k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        CheckMatrix(a, aRows, aCols, lda, "a");
        CheckMatrix(b, bRows, bCols, ldb, "b");
        CheckMatrix(c, m, n, ldc, "c");
    }

    private static void CheckMatrix<T>(T[] x, int rows, int cols, int ld, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"{name}: leading dimension {ld} < column count {cols}.", name);
        long need = (long)(rows - 1) * ld + cols;
        if (x.Length < need) throw new ArgumentException($"{name} has length {x.Length}, needs {need} for a {rows}×{cols} matrix with leading dimension {ld}.", name);
    }

    private static void ScaleC<T>(int m, int n, T beta, T[] c, int ldc) where T : unmanaged, INumber<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
        {
            var row = c.AsSpan(i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block<T>(T* a, int lda, bool transA, T* b, int ldb, T* c, int ldc, int i0, int i1, int n, int k, T alpha)
        where T : unmanaged, INumber<T>
    {
        int w = Vector<T>.Count;
        for (int j0 = 0; j0 < n; j0 += NBlock)
        {
            int j1 = Math.Min(n, j0 + NBlock);
            for (int p0 = 0; p0 < k; p0 += KBlock)
            {
                int p1 = Math.Min(k, p0 + KBlock);
                int i = i0;
                int w3 = Vector512.IsHardwareAccelerated ? 3 * Vector512<T>.Count : int.MaxValue;
                for (; i + 4 <= i1; i += 4)
                {
                    int j = j0;
                    for (; j + w3 <= j1; j += w3) Kernel4x3Avx512(a, lda, transA, b, ldb, c, ldc, i, j, p0, p1, alpha);
                    if (Vector512.IsHardwareAccelerated)
                        for (; j + Vector512<T>.Count <= j1; j += Vector512<T>.Count) Kernel4x1Avx512(a, lda, transA, b, ldb, c, ldc, i, j, p0, p1, alpha);
                    for (; j + 2 * w <= j1; j += 2 * w) Kernel4x2(a, lda, transA, b, ldb, c, ldc, i, j, p0, p1, alpha);
                    for (; j < j1; j++)
                        for (int r = 0; r < 4; r++) c[(i + r) * ldc + j] += alpha * Dot(a, lda, transA, b, ldb, i + r, j, p0, p1);
                }
                for (; i < i1; i++)
                {
                    int j = j0;
                    for (; j + w <= j1; j += w) Kernel1x1(a, lda, transA, b, ldb, c, ldc, i, j, p0, p1, alpha);
                    for (; j < j1; j++) c[i * ldc + j] += alpha * Dot(a, lda, transA, b, ldb, i, j, p0, p1);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T A<T>(T* a, int lda, bool transA, int i, int p) where T : unmanaged =>
        transA ? a[(nint)p * lda + i] : a[(nint)i * lda + p];

    private static T Dot<T>(T* a, int lda, bool transA, T* b, int ldb, int i, int j, int p0, int p1) where T : unmanaged, INumber<T>
    {
        T s = T.Zero;
        for (int p = p0; p < p1; p++) s += A(a, lda, transA, i, p) * b[(nint)p * ldb + j];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x2<T>(T* a, int lda, bool transA, T* b, int ldb, T* c, int ldc, int i, int j, int p0, int p1, T alpha)
        where T : unmanaged, INumber<T>
    {
        int w = Vector<T>.Count;
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default,
                  c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = p0; p < p1; p++)
        {
            T* bp = b + (nint)p * ldb + j;
            var b0 = Vector.Load(bp);
            var b1 = Vector.Load(bp + w);
            T x0, x1, x2, x3;
            if (transA)
            {
                T* ap = a + (nint)p * lda + i;
                x0 = ap[0]; x1 = ap[1]; x2 = ap[2]; x3 = ap[3];
            }
            else
            {
                T* ap = a + (nint)i * lda + p;
                x0 = ap[0]; x1 = ap[lda]; x2 = ap[2 * lda]; x3 = ap[3 * lda];
            }
            var a0 = new Vector<T>(x0); c00 += a0 * b0; c01 += a0 * b1;
            var a1 = new Vector<T>(x1); c10 += a1 * b0; c11 += a1 * b1;
            var a2 = new Vector<T>(x2); c20 += a2 * b0; c21 += a2 * b1;
            var a3 = new Vector<T>(x3); c30 += a3 * b0; c31 += a3 * b1;
        }
        var al = new Vector<T>(alpha);
        Accumulate(c + (nint)i * ldc + j, w, c00, c01, al);
        Accumulate(c + (nint)(i + 1) * ldc + j, w, c10, c11, al);
        Accumulate(c + (nint)(i + 2) * ldc + j, w, c20, c21, al);
        Accumulate(c + (nint)(i + 3) * ldc + j, w, c30, c31, al);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        return a * b + c;
    }

    /// <summary>C[i..i+4, j..j+3W] += α·A[i..i+4, p0..p1]·B[p0..p1, j..j+3W] with twelve Vector512 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x3Avx512<T>(T* a, int lda, bool transA, T* b, int ldb, T* c, int ldc, int i, int j, int p0, int p1, T alpha)
        where T : unmanaged, INumber<T>
    {
        int w = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default,
                     c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        nint strideA = transA ? 1 : lda, stepA = transA ? lda : 1;
        T* ap = transA ? a + (nint)p0 * lda + i : a + (nint)i * lda + p0;
        T* bp = b + (nint)p0 * ldb + j;
        for (int p = p0; p < p1; p++, ap += stepA, bp += ldb)
        {
            var b0 = Vector512.Load(bp); var b1 = Vector512.Load(bp + w); var b2 = Vector512.Load(bp + 2 * w);
            var a0 = Vector512.Create(ap[0]);
            c00 = Fma(a0, b0, c00); c01 = Fma(a0, b1, c01); c02 = Fma(a0, b2, c02);
            var a1 = Vector512.Create(ap[strideA]);
            c10 = Fma(a1, b0, c10); c11 = Fma(a1, b1, c11); c12 = Fma(a1, b2, c12);
            var a2 = Vector512.Create(ap[2 * strideA]);
            c20 = Fma(a2, b0, c20); c21 = Fma(a2, b1, c21); c22 = Fma(a2, b2, c22);
            var a3 = Vector512.Create(ap[3 * strideA]);
            c30 = Fma(a3, b0, c30); c31 = Fma(a3, b1, c31); c32 = Fma(a3, b2, c32);
        }
        var al = Vector512.Create(alpha);
        Store3(c + (nint)i * ldc + j, w, c00, c01, c02, al);
        Store3(c + (nint)(i + 1) * ldc + j, w, c10, c11, c12, al);
        Store3(c + (nint)(i + 2) * ldc + j, w, c20, c21, c22, al);
        Store3(c + (nint)(i + 3) * ldc + j, w, c30, c31, c32, al);
    }

    /// <summary>One Vector512 column strip of four rows (the edge of <see cref="Kernel4x3Avx512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x1Avx512<T>(T* a, int lda, bool transA, T* b, int ldb, T* c, int ldc, int i, int j, int p0, int p1, T alpha)
        where T : unmanaged, INumber<T>
    {
        Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default;
        nint strideA = transA ? 1 : lda, stepA = transA ? lda : 1;
        T* ap = transA ? a + (nint)p0 * lda + i : a + (nint)i * lda + p0;
        T* bp = b + (nint)p0 * ldb + j;
        for (int p = p0; p < p1; p++, ap += stepA, bp += ldb)
        {
            var b0 = Vector512.Load(bp);
            c0 = Fma(Vector512.Create(ap[0]), b0, c0);
            c1 = Fma(Vector512.Create(ap[strideA]), b0, c1);
            c2 = Fma(Vector512.Create(ap[2 * strideA]), b0, c2);
            c3 = Fma(Vector512.Create(ap[3 * strideA]), b0, c3);
        }
        var al = Vector512.Create(alpha);
        T* d0 = c + (nint)i * ldc + j;
        Vector512.Store(Fma(al, c0, Vector512.Load(d0)), d0);
        Vector512.Store(Fma(al, c1, Vector512.Load(d0 + ldc)), d0 + ldc);
        Vector512.Store(Fma(al, c2, Vector512.Load(d0 + 2 * ldc)), d0 + 2 * ldc);
        Vector512.Store(Fma(al, c3, Vector512.Load(d0 + 3 * ldc)), d0 + 3 * ldc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store3<T>(T* dst, int w, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, Vector512<T> alpha) where T : unmanaged, INumber<T>
    {
        Vector512.Store(Fma(alpha, v0, Vector512.Load(dst)), dst);
        Vector512.Store(Fma(alpha, v1, Vector512.Load(dst + w)), dst + w);
        Vector512.Store(Fma(alpha, v2, Vector512.Load(dst + 2 * w)), dst + 2 * w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<T>(T* dst, int w, Vector<T> v0, Vector<T> v1, Vector<T> alpha) where T : unmanaged, INumber<T>
    {
        Vector.Store(Vector.Load(dst) + alpha * v0, dst);
        Vector.Store(Vector.Load(dst + w) + alpha * v1, dst + w);
    }

    private static void Kernel1x1<T>(T* a, int lda, bool transA, T* b, int ldb, T* c, int ldc, int i, int j, int p0, int p1, T alpha)
        where T : unmanaged, INumber<T>
    {
        Vector<T> acc = default;
        for (int p = p0; p < p1; p++) acc += new Vector<T>(A(a, lda, transA, i, p)) * Vector.Load(b + (nint)p * ldb + j);
        T* dst = c + (nint)i * ldc + j;
        Vector.Store(Vector.Load(dst) + new Vector<T>(alpha) * acc, dst);
    }
}
