using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// Cache-blocked managed GEMM, C ← α·op(A)·op(B) + β·C, row-major, vectorised with <see cref="Vector{T}"/>
/// and parallel over row blocks of C. op(B) is packed into a contiguous k×n panel when transposed.
/// The micro-kernel keeps a 4×(2·Vector&lt;T&gt;.Count) block of C in registers over a k-block of 256.
/// </summary>
public static unsafe class ManagedGemm
{
    private const int KBlock = 256;
    private const int NBlock = 256;
    private const int RowsPerTask = 32;

    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha, T[] a, int lda,
        T[] b, int ldb, T beta, T[] c, int ldc) where T : unmanaged, INumber<T>
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0) return;
        ScaleC(m, n, beta, c, ldc);
        if (k == 0 || alpha == T.Zero) return;

        T[]? packed = null;
        try
        {
            T[] bRows; int ldbRows;
            if (transB)
            {
                packed = ArrayPool<T>.Shared.Rent(k * n);
                for (int p = 0; p < k; p++)
                    for (int j = 0; j < n; j++)
                        packed[p * n + j] = b[j * ldb + p];
                bRows = packed; ldbRows = n;
            }
            else { bRows = b; ldbRows = ldb; }

            int tasks = (m + RowsPerTask - 1) / RowsPerTask;
            double flops = 2.0 * m * n * k;
            fixed (T* pa = a, pb = bRows, pc = c)
            {
                nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
                void Body(int t)
                {
                    int i0 = t * RowsPerTask, i1 = Math.Min(m, i0 + RowsPerTask);
                    Block((T*)ia, lda, transA, (T*)ib, ldbRows, (T*)ic, ldc, i0, i1, n, k, alpha);
                }
                if (flops < 4e6 || tasks == 1) for (int t = 0; t < tasks; t++) Body(t);
                else Parallel.For(0, tasks, Body);
            }
        }
        finally
        {
            if (packed != null) ArrayPool<T>.Shared.Return(packed);
        }
    }

    private static void Validate<T>(bool transA, bool transB, int m, int n, int k, T[] a, int lda, T[] b, int ldb, T[] c, int ldc)
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
                for (; i + 4 <= i1; i += 4)
                {
                    int j = j0;
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
