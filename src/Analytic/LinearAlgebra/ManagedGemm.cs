using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>Which register-tile micro-kernel <see cref="ManagedGemm"/> uses.</summary>
public enum GemmKernel
{
    /// <summary>The widest the CPU supports: <see cref="Avx512"/> when Vector512 is hardware-accelerated and op(B) is wider than one vector.</summary>
    Auto,
    /// <summary>12 × 2·Vector512&lt;T&gt;.Count tile in 24 zmm accumulators.</summary>
    Avx512,
    /// <summary>6 × 2·Vector&lt;T&gt;.Count tile in 12 accumulators (AVX2, NEON, or software vectors): runs on every CPU.</summary>
    Portable,
}

/// <summary>
/// Cache blocking of <see cref="ManagedGemm"/>: k-blocks KC for float and double (rows of op(B) per packed block) and the
/// row-block cap MC. <see cref="Default"/> was measured on a Zen 4 core (32 KB L1d, 1 MB L2) by sweeping KC ∈ {128 … 512},
/// MC ∈ {48 … 384} on 2048³ and the HT-Random m = 7/9 step shapes; other values are for tuning sweeps.
/// </summary>
public sealed record GemmBlocking(int KcSingle, int KcDouble, int Mc)
{
    /// <summary>The measured blocking: KC = 384 (float32) and 256 (float64), MC = 96.</summary>
    public static readonly GemmBlocking Default = new(384, 256, 96);
}

/// <summary>
/// op(A) (m × k) packed once by <see cref="ManagedGemm.Pack{T}"/> in the micro-kernel's panel layout, for many products
/// <see cref="ManagedGemm.Run{T}(PackedGemmOperand{T}, bool, int, T, T[], int, T, T[], int, int, GemmBlocking)"/> with the same left operand
/// (the data matrix X of a training run: X·W and Xᵀ·R every step).
/// </summary>
/// <remarks>
/// Layout: k-blocks of KC rows of op(A)ᵀ one after another; in the k-block starting at p0 (kb = min(KC, k − p0) deep) the
/// MR-row panel ir starts at p0·mPad + ir·MR·kb (mPad = m rounded up to MR) and holds op(A)[ir·MR + r, p0 + p] at p·MR + r
/// (zero past row m). The packed copy is mPad·k elements, the size of A; the original array is not referenced.
/// </remarks>
public sealed class PackedGemmOperand<T> where T : unmanaged
{
    internal PackedGemmOperand(bool transA, int m, int k, bool wide, int mr, int kc, T[] data)
    {
        TransA = transA; Rows = m; Depth = k; Wide = wide; Mr = mr; Kc = kc; Data = data;
    }

    /// <summary>Whether op(A) = Aᵀ.</summary>
    public bool TransA { get; }
    /// <summary>m: rows of op(A) and of C.</summary>
    public int Rows { get; }
    /// <summary>k: columns of op(A), rows of op(B).</summary>
    public int Depth { get; }
    internal bool Wide { get; }
    internal int Mr { get; }
    internal int Kc { get; }
    internal int MPad => (Rows + Mr - 1) / Mr * Mr;
    /// <summary>Pinned, so the GEMM reads it without fixing it.</summary>
    internal T[] Data { get; }
    /// <summary>Bytes the packed copy holds.</summary>
    public long Bytes => (long)Data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}

/// <summary>
/// Packed, cache-blocked managed GEMM, C ← α·op(A)·op(B) + β·C, row-major, in the GotoBLAS/BLIS loop order.
/// </summary>
/// <remarks>
/// op(B) (k × n) is packed once into column panels of NR (zero-padded), each panel k × NR contiguous; C's rows are split
/// into blocks of at most MC rows run in parallel; per block and per k-block of KC, op(A) is packed into MR-row panels
/// (KC × MR, zero-padded) unless it was packed once beforehand (<see cref="Pack{T}"/>), then every (NR panel, MR panel)
/// pair runs the micro-kernel, which keeps an MR × NR tile of C in registers over the k-block with fused multiply-adds (one
/// vector load of B per NR/W columns, one broadcast of A per row). The B micro-panel (KC × NR) stays in L1/L2 while the A
/// block (MC × KC) streams from L2; the first MR panel of each NR panel prefetches the next B micro-panel into L2 and the
/// first NR panel of each MR panel prefetches the next A micro-panel into L1 (the two streams that otherwise arrive from
/// L3 or memory on first use). With β = 0, C is not read: the first k-block stores α·Σ into C and the later ones add to it
/// (with β ≠ 0, C ← β·C first and every k-block adds). Partial tiles at the edges are computed into a stack tile and stored
/// into or added to C the same way. Packing makes transA and transB cost the same as the plain layout.
/// </remarks>
public static unsafe class ManagedGemm
{
    private const int MaxTile = 12 * 32;

    /// <param name="blocking">cache blocking (default <see cref="GemmBlocking.Default"/>).</param>
    /// <param name="threads">worker threads (0: every core). The blocking of C's rows does not change any sum's order, so
    /// the result is the same for every thread count.</param>
    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha, T[] a, int lda,
        T[] b, int ldb, T beta, T[] c, int ldc, GemmKernel kernel = GemmKernel.Auto, GemmBlocking? blocking = null, int threads = 0)
        where T : unmanaged, INumber<T>
    {
        ValidateShapes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0) return;
        // β = 0 with a product to add: C is not read (as in BLAS); the first k-block stores α·op(A)op(B) in place of C ← 0
        bool overwrite = beta == T.Zero && k > 0 && alpha != T.Zero;
        if (!overwrite) ScaleC(m, n, beta, c, ldc);
        if (k == 0 || alpha == T.Zero) return;
        bool wide = Wide<T>(kernel, n);
        var bl = blocking ?? GemmBlocking.Default;
        fixed (T* pa = a, pb = b, pc = c)
            Multiply(pa, lda, transA, null, 0, wide, Math.Min(k, KcMax<T>(bl)), bl.Mc, transB, m, n, k, alpha, pb, ldb, overwrite, pc, ldc, threads);
    }

    /// <summary>
    /// op(A) (m × k, A stored m × k or with <paramref name="transA"/> k × m, leading dimension lda) packed once for many
    /// products (<see cref="Run{T}(PackedGemmOperand{T}, bool, int, T, T[], int, T, T[], int, int, GemmBlocking)"/>); every product then
    /// skips packing A, the same arithmetic in the same order (the same results as <see cref="Run{T}(bool, bool, int, int, int, T, T[], int, T[], int, T, T[], int, GemmKernel, GemmBlocking?, int)"/>
    /// with the same kernel and blocking).
    /// </summary>
    public static PackedGemmOperand<T> Pack<T>(bool transA, int m, int k, T[] a, int lda, GemmKernel kernel = GemmKernel.Auto,
        GemmBlocking? blocking = null, int threads = 0) where T : unmanaged, INumber<T>
    {
        if (m < 0 || k < 0) throw new ArgumentException($"negative operand size m={m}, k={k}.");
        CheckMatrix(a, transA ? k : m, transA ? m : k, lda, "a");
        // the kernel is fixed here, before op(B)'s width is known: the wide one whenever the CPU has it
        bool wide = Wide<T>(kernel, int.MaxValue);
        int mr = wide ? 12 : 6;
        var bl = blocking ?? GemmBlocking.Default;
        int kc = Math.Max(1, Math.Min(k, KcMax<T>(bl)));
        long mPad = ((long)m + mr - 1) / mr * mr, length = mPad * k;
        if (length > Array.MaxLength) throw new ArgumentException($"a packed {m}×{k} operand needs {length} elements, more than one array holds.");
        var data = GC.AllocateUninitializedArray<T>((int)length, pinned: true);
        if (threads <= 0) threads = Environment.ProcessorCount;
        int kBlocks = (k + kc - 1) / kc;
        fixed (T* pa = a)
        {
            nint ia = (nint)pa;
            void PackBlock(int blockIndex)
            {
                int p0 = blockIndex * kc;
                fixed (T* dst = data) PackA((T*)ia, lda, transA, 0, m, p0, Math.Min(kc, k - p0), mr, dst + (nint)p0 * mPad);
            }
            if (threads > 1 && kBlocks > 1 && length >= 1 << 16) Parallel.For(0, kBlocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, PackBlock);
            else for (int t = 0; t < kBlocks; t++) PackBlock(t);
        }
        return new PackedGemmOperand<T>(transA, m, k, wide, mr, kc, data);
    }

    /// <summary>C ← α·op(A)·op(B) + β·C with op(A) packed by <see cref="Pack{T}"/> (m = a.Rows, k = a.Depth).</summary>
    /// <param name="blocking">cache blocking: only its MC is used here (KC was fixed by the packing).</param>
    public static void Run<T>(PackedGemmOperand<T> a, bool transB, int n, T alpha, T[] b, int ldb, T beta, T[] c, int ldc,
        int threads = 0, GemmBlocking? blocking = null) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        int m = a.Rows, k = a.Depth;
        if (n < 0) throw new ArgumentException($"negative GEMM size n={n}.");
        CheckMatrix(b, transB ? n : k, transB ? k : n, ldb, "b");
        CheckMatrix(c, m, n, ldc, "c");
        if (m == 0 || n == 0) return;
        bool overwrite = beta == T.Zero && k > 0 && alpha != T.Zero;
        if (!overwrite) ScaleC(m, n, beta, c, ldc);
        if (k == 0 || alpha == T.Zero) return;
        fixed (T* pp = a.Data, pb = b, pc = c)
            Multiply<T>(null, 0, a.TransA, pp, a.MPad, a.Wide, a.Kc, (blocking ?? GemmBlocking.Default).Mc, transB, m, n, k, alpha, pb, ldb, overwrite, pc, ldc, threads);
    }

    /// <summary>
    /// The symmetric rank-k update C ← A·Aᵀ (A n × k row-major with leading dimension lda, C n × n with leading dimension
    /// ldc; C is not read): the lower triangle is formed by column blocks of <paramref name="block"/> columns, block J as
    /// one GEMM C[J.., J] = A[J.., :]·A[J, :]ᵀ with this class's kernels (about half the multiply-adds of the full GEMM,
    /// n²k/2 + n·block·k/2), and then mirrored into the upper one, so C is exactly symmetric. Each entry is the same dot
    /// product, in the same order, as the full GEMM's (k-blocks of KC, fused multiply-adds within a block).
    /// </summary>
    /// <param name="threads">worker threads of each block's GEMM (0: every core).</param>
    /// <param name="blocking">cache blocking (default <see cref="GemmBlocking.Default"/>).</param>
    /// <param name="block">columns of C per block GEMM.</param>
    public static void SymmetricRankK<T>(int n, int k, T[] a, int lda, T[] c, int ldc, int threads = 0, GemmBlocking? blocking = null, int block = 512)
        where T : unmanaged, INumber<T>
    {
        if (n < 0 || k < 0) throw new ArgumentException($"negative SYRK size n={n}, k={k}.");
        Guard.Positive(block, nameof(block));
        CheckMatrix(a, n, k, lda, "a");
        CheckMatrix(c, n, n, ldc, "c");
        if (n == 0) return;
        if (k == 0) { ScaleC(n, n, T.Zero, c, ldc); return; }
        var bl = blocking ?? GemmBlocking.Default;
        int kc = Math.Min(k, KcMax<T>(bl));
        fixed (T* pa = a, pc = c)
            for (int j0 = 0; j0 < n; j0 += block)
            {
                int cols = Math.Min(block, n - j0);
                T* rows = pa + (nint)j0 * lda;
                // rows j0..n of A times the block's rows of A, transposed: C[j0.., j0..j0+cols]
                Multiply(rows, lda, false, null, 0, Wide<T>(GemmKernel.Auto, cols), kc, bl.Mc, true, n - j0, cols, k, T.One,
                    rows, lda, true, pc + (nint)j0 * ldc + j0, ldc, threads);
            }
        MirrorLower(n, c, ldc, threads);
    }

    /// <summary>C's upper triangle ← its lower one (C[i, j] = C[j, i] for j &gt; i), in row strips on up to <paramref name="threads"/> cores.</summary>
    private static void MirrorLower<T>(int n, T[] c, int ldc, int threads) where T : unmanaged
    {
        const int tile = 64;
        int strips = (n + tile - 1) / tile;
        void Strip(int s)
        {
            int i0 = s * tile, i1 = Math.Min(n, i0 + tile);
            // tiles of the upper triangle in strip s: rows i0..i1, columns from i0 on, read from the transposed lower tiles
            for (int j0 = i0; j0 < n; j0 += tile)
                for (int i = i0; i < i1; i++)
                    for (int j = Math.Max(j0, i + 1), j1 = Math.Min(n, j0 + tile); j < j1; j++)
                        c[(long)i * ldc + j] = c[(long)j * ldc + i];
        }
        if (threads <= 0) threads = Environment.ProcessorCount;
        if (threads > 1 && strips > 1) Parallel.For(0, strips, new ParallelOptions { MaxDegreeOfParallelism = threads }, Strip);
        else for (int s = 0; s < strips; s++) Strip(s);
    }

    private static bool Wide<T>(GemmKernel kernel, int n) where T : unmanaged => kernel switch
    {
        GemmKernel.Avx512 => Vector512.IsHardwareAccelerated ? true : throw new PlatformNotSupportedException("Vector512 is not hardware-accelerated on this CPU."),
        GemmKernel.Portable => false,
        _ => Vector512.IsHardwareAccelerated && n > Vector512<T>.Count,
    };

    private static int KcMax<T>(GemmBlocking bl) where T : unmanaged => sizeof(T) <= 4 ? bl.KcSingle : bl.KcDouble;

    /// <summary>
    /// The blocked product after validation and C ← β·C: op(A) from <paramref name="a"/> (packed per block) or, when
    /// <paramref name="packedA"/> is given, from its panels (row block i0, k-block p0 at p0·mPad + i0·kb).
    /// <paramref name="overwrite"/>: C was not scaled (β = 0), so the first k-block stores its α·Σ in place of adding it.
    /// </summary>
    private static void Multiply<T>(T* a, int lda, bool transA, T* packedA, int mPad, bool wide, int kc, int mcCap,
        bool transB, int m, int n, int k, T alpha, T* pb, int ldb, bool overwrite, T* pc, int ldc, int threads) where T : unmanaged, INumber<T>
    {
        int mr = wide ? 12 : 6, nr = 2 * (wide ? Vector512<T>.Count : Vector<T>.Count);
        int panels = (n + nr - 1) / nr;
        if (threads <= 0) threads = Environment.ProcessorCount;
        double flops = 2.0 * m * n * k;
        int blocks = (m + mcCap - 1) / mcCap;
        if (flops >= 4e6 && threads > 1) blocks = Math.Max(blocks, Math.Min(threads, (m + mr - 1) / mr));
        if (blocks > 1 && threads > 1) blocks = (blocks + threads - 1) / threads * threads;
        int mc = ((m + blocks - 1) / blocks + mr - 1) / mr * mr;
        blocks = (m + mc - 1) / mc;
        bool prefetch = Sse.IsSupported;

        T[] bPacked = ArrayPool<T>.Shared.Rent(panels * nr * k);
        try
        {
            fixed (T* pbp = bPacked)
            {
                nint ia = (nint)a, ipa = (nint)packedA, ib = (nint)pb, ibp = (nint)pbp, ic = (nint)pc;
                void PackPanel(int jr) => PackB((T*)ib, ldb, transB, k, n, jr * nr, nr, (T*)ibp + (nint)jr * nr * k);
                if (flops >= 4e6 && panels > 1 && threads > 1) Parallel.For(0, panels, new ParallelOptions { MaxDegreeOfParallelism = threads }, PackPanel);
                else for (int jr = 0; jr < panels; jr++) PackPanel(jr);

                void RowBlock(int t)
                {
                    int i0 = t * mc, rows = Math.Min(mc, m - i0);
                    T[]? aPacked = ipa == 0 ? ArrayPool<T>.Shared.Rent(mc * kc) : null;
                    try
                    {
                        fixed (T* ap = aPacked)
                        {
                            T* tile = stackalloc T[MaxTile];
                            for (int p0 = 0; p0 < k; p0 += kc)
                            {
                                int kb = Math.Min(kc, k - p0);
                                bool store = overwrite && p0 == 0;
                                T* ablock = ap;
                                if (ipa != 0) ablock = (T*)ipa + (nint)p0 * mPad + (nint)i0 * kb;
                                else PackA((T*)ia, lda, transA, i0, rows, p0, kb, mr, ap);
                                KBlock(wide, prefetch, ablock, (T*)ibp + (nint)p0 * nr, k, kb, panels, nr, mr, i0, rows, m, n, (T*)ic, ldc, alpha, store, tile);
                            }
                        }
                    }
                    finally { if (aPacked != null) ArrayPool<T>.Shared.Return(aPacked); }
                }
                if (blocks == 1) RowBlock(0);
                else Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, RowBlock);
            }
        }
        finally { ArrayPool<T>.Shared.Return(bPacked); }
    }

    /// <summary>
    /// One k-block of a row block: every (NR panel, MR panel) pair of the packed A block <paramref name="ablock"/> (rows
    /// i0..i0+rows, kb deep) and the packed B panels from <paramref name="bpanels"/> (panel jr at jr·nr·k), into C.
    /// <paramref name="store"/>: the first k-block of an overwritten C stores instead of adding.
    /// </summary>
    private static void KBlock<T>(bool wide, bool prefetch, T* ablock, T* bpanels, int k, int kb, int panels, int nr, int mr, int i0, int rows,
        int m, int n, T* c, int ldc, T alpha, bool store, T* tile) where T : unmanaged, INumber<T>
    {
        for (int jr = 0; jr < panels; jr++)
        {
            int j = jr * nr, cols = Math.Min(nr, n - j);
            T* bpanel = bpanels + (nint)jr * nr * k;
            for (int ir = 0; ir * mr < rows; ir++)
            {
                int i = i0 + ir * mr, rr = Math.Min(mr, m - i);
                T* apanel = ablock + (nint)ir * mr * kb;
                T* cij = c + (nint)i * ldc + j;
                // the streams that would arrive cold: the next B micro-panel (on the block's first MR panel) and the next A
                // micro-panel (on the first NR panel)
                byte* nextB = prefetch && ir == 0 && jr + 1 < panels ? (byte*)(bpanel + (nint)nr * k) : null;
                byte* nextA = prefetch && jr == 0 && (ir + 1) * mr < rows ? (byte*)(apanel + (nint)mr * kb) : null;
                if (rr == mr && cols == nr) MicroKernel(wide, apanel, bpanel, kb, cij, ldc, alpha, store, nextA, nextB);
                else
                {
                    MicroKernel(wide, apanel, bpanel, kb, tile, nr, alpha, true, nextA, nextB);
                    for (int r = 0; r < rr; r++)
                        for (int q = 0; q < cols; q++)
                        {
                            ref T cell = ref cij[(nint)r * ldc + q];
                            cell = store ? tile[r * nr + q] : cell + tile[r * nr + q];
                        }
                }
            }
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

    /// <summary>dst[p·NR + q] = op(B)[p, j0 + q] for p &lt; k, q &lt; NR (zero where j0 + q ≥ n).</summary>
    private static void PackB<T>(T* b, int ldb, bool transB, int k, int n, int j0, int nr, T* dst) where T : unmanaged, INumber<T>
    {
        int cols = Math.Min(nr, n - j0);
        if (!transB)
        {
            for (int p = 0; p < k; p++, dst += nr)
            {
                new ReadOnlySpan<T>(b + (nint)p * ldb + j0, cols).CopyTo(new Span<T>(dst, cols));
                if (cols < nr) new Span<T>(dst + cols, nr - cols).Clear();
            }
            return;
        }
        // op(B)[p, j] = B[j, p]: read each of the NR rows of B contiguously
        if (cols < nr) new Span<T>(dst, k * nr).Clear();
        for (int q = 0; q < cols; q++)
        {
            T* src = b + (nint)(j0 + q) * ldb;
            for (int p = 0; p < k; p++) dst[(nint)p * nr + q] = src[p];
        }
    }

    /// <summary>dst[(ir·kb + p)·MR + r] = op(A)[i0 + ir·MR + r, p0 + p] for rows &lt; <paramref name="rows"/> (zero past the end).</summary>
    private static void PackA<T>(T* a, int lda, bool transA, int i0, int rows, int p0, int kb, int mr, T* dst) where T : unmanaged, INumber<T>
    {
        for (int r0 = 0; r0 < rows; r0 += mr, dst += (nint)mr * kb)
        {
            int rr = Math.Min(mr, rows - r0);
            if (rr < mr) new Span<T>(dst, mr * kb).Clear();
            if (transA)
            {
                // op(A)[i, p] = A[p, i]: MR consecutive elements of each row p of A
                for (int p = 0; p < kb; p++)
                    new ReadOnlySpan<T>(a + (nint)(p0 + p) * lda + i0 + r0, rr).CopyTo(new Span<T>(dst + (nint)p * mr, rr));
            }
            else
            {
                for (int r = 0; r < rr; r++)
                {
                    T* src = a + (nint)(i0 + r0 + r) * lda + p0;
                    for (int p = 0; p < kb; p++) dst[(nint)p * mr + r] = src[p];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel<T>(bool wide, T* a, T* b, int kb, T* c, nint ldc, T alpha, bool store, byte* nextA, byte* nextB) where T : unmanaged, INumber<T>
    {
        if (wide) Kernel12xV512(a, b, kb, c, ldc, alpha, store, nextA, nextB);
        else Kernel6xV(a, b, kb, c, ldc, alpha, store, nextA, nextB);
    }

    /// <summary>
    /// One k-step's share of the prefetches: <paramref name="bytes"/> (the MR or NR elements a k-step reads) of the next
    /// panel, a line at a time from <paramref name="at"/>, into L1 (<paramref name="l1"/>) or L2; null: none.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchStep(ref byte* at, int bytes, bool l1)
    {
        if (at == null) return;
        if (l1) { Sse.Prefetch0(at); if (bytes > 64) Sse.Prefetch0(at + 64); }
        else { Sse.Prefetch1(at); if (bytes > 64) Sse.Prefetch1(at + 64); }
        at += bytes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(double)) return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float)) return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        return a * b + c;
    }

    /// <summary>
    /// C[0..12, 0..2W] += α·Σ_p a[p·12 + r]·b[p·2W + q] (<paramref name="store"/>: C ← α·Σ, C not read), W = Vector512&lt;T&gt;.Count,
    /// in 24 accumulators.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel12xV512<T>(T* a, T* b, int kb, T* c, nint ldc, T alpha, bool store, byte* nextA, byte* nextB) where T : unmanaged, INumber<T>
    {
        int w = Vector512<T>.Count, aBytes = 12 * sizeof(T), bBytes = 2 * w * sizeof(T);
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
                     c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
                     c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default,
                     c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (int p = 0; p < kb; p++, a += 12, b += 2 * w)
        {
            PrefetchStep(ref nextA, aBytes, true); PrefetchStep(ref nextB, bBytes, false);
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + w);
            var x = Vector512.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Fma(x, b0, c60); c61 = Fma(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Fma(x, b0, c70); c71 = Fma(x, b1, c71);
            x = Vector512.Create(a[8]); c80 = Fma(x, b0, c80); c81 = Fma(x, b1, c81);
            x = Vector512.Create(a[9]); c90 = Fma(x, b0, c90); c91 = Fma(x, b1, c91);
            x = Vector512.Create(a[10]); ca0 = Fma(x, b0, ca0); ca1 = Fma(x, b1, ca1);
            x = Vector512.Create(a[11]); cb0 = Fma(x, b0, cb0); cb1 = Fma(x, b1, cb1);
        }
        var al = Vector512.Create(alpha);
        Store2(c, w, c00, c01, al, store); Store2(c + ldc, w, c10, c11, al, store); Store2(c + 2 * ldc, w, c20, c21, al, store);
        Store2(c + 3 * ldc, w, c30, c31, al, store); Store2(c + 4 * ldc, w, c40, c41, al, store); Store2(c + 5 * ldc, w, c50, c51, al, store);
        Store2(c + 6 * ldc, w, c60, c61, al, store); Store2(c + 7 * ldc, w, c70, c71, al, store); Store2(c + 8 * ldc, w, c80, c81, al, store);
        Store2(c + 9 * ldc, w, c90, c91, al, store); Store2(c + 10 * ldc, w, ca0, ca1, al, store); Store2(c + 11 * ldc, w, cb0, cb1, al, store);
    }

    /// <summary>dst[0..2W] ← α·v + dst (one rounding, FMA), or α·v when <paramref name="store"/> (dst not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2<T>(T* dst, int w, Vector512<T> v0, Vector512<T> v1, Vector512<T> alpha, bool store) where T : unmanaged, INumber<T>
    {
        if (store)
        {
            Vector512.Store(alpha * v0, dst);
            Vector512.Store(alpha * v1, dst + w);
            return;
        }
        Vector512.Store(Fma(alpha, v0, Vector512.Load(dst)), dst);
        Vector512.Store(Fma(alpha, v1, Vector512.Load(dst + w)), dst + w);
    }

    /// <summary>C[0..6, 0..2W] += α·Σ_p a[p·6 + r]·b[p·2W + q] (<paramref name="store"/>: C ← α·Σ), W = Vector&lt;T&gt;.Count, in 12 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6xV<T>(T* a, T* b, int kb, T* c, nint ldc, T alpha, bool store, byte* nextA, byte* nextB) where T : unmanaged, INumber<T>
    {
        int w = Vector<T>.Count, aBytes = 6 * sizeof(T), bBytes = 2 * w * sizeof(T);
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
                  c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kb; p++, a += 6, b += 2 * w)
        {
            PrefetchStep(ref nextA, aBytes, true); PrefetchStep(ref nextB, bBytes, false);
            var b0 = Vector.Load(b); var b1 = Vector.Load(b + w);
            var x = new Vector<T>(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = new Vector<T>(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = new Vector<T>(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = new Vector<T>(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = new Vector<T>(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = new Vector<T>(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
        }
        var al = new Vector<T>(alpha);
        Store2(c, w, c00, c01, al, store); Store2(c + ldc, w, c10, c11, al, store); Store2(c + 2 * ldc, w, c20, c21, al, store);
        Store2(c + 3 * ldc, w, c30, c31, al, store); Store2(c + 4 * ldc, w, c40, c41, al, store); Store2(c + 5 * ldc, w, c50, c51, al, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2<T>(T* dst, int w, Vector<T> v0, Vector<T> v1, Vector<T> alpha, bool store) where T : unmanaged, INumber<T>
    {
        if (store)
        {
            Vector.Store(alpha * v0, dst);
            Vector.Store(alpha * v1, dst + w);
            return;
        }
        Vector.Store(Fma(alpha, v0, Vector.Load(dst)), dst);
        Vector.Store(Fma(alpha, v1, Vector.Load(dst + w)), dst + w);
    }
}
