using System.Runtime.InteropServices;

namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// GEMM through a system OpenBLAS (cblas_dgemm / cblas_sgemm, P/Invoke through function pointers); the softmax kernels
/// are the managed ones. <see cref="TryCreate"/> returns null when no OpenBLAS is installed (Debian: libopenblas0).
/// </summary>
/// <remarks>Only OpenBLAS is accepted: the generic libblas.so.3 may be netlib's reference BLAS, ~50× slower than the managed GEMM.</remarks>
public sealed unsafe class NativeBlasProvider : ILinearAlgebraProvider
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private static readonly string[] Candidates = ["libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.3.21.so", "libopenblas.dylib"];

    private readonly delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> _dgemm;
    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly ManagedLinearAlgebraProvider _managed;
    private nint _lib;

    private NativeBlasProvider(nint lib, string name, int? threads)
    {
        _lib = lib;
        _managed = new ManagedLinearAlgebraProvider(threads);
        _dgemm = (delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)NativeLibrary.GetExport(lib, "cblas_dgemm");
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(lib, "cblas_sgemm");
        Library = name;
        CoreName = NativeLibrary.TryGetExport(lib, "openblas_get_corename", out var f)
            ? Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)f)()) ?? "unknown" : "unknown";
    }

    /// <summary>The kernel set OpenBLAS runs (openblas_get_corename: e.g. SkylakeX, Zen, or Haswell when OPENBLAS_CORETYPE forces it).</summary>
    public string CoreName { get; }

    /// <summary>"native".</summary>
    public string Name => "native";
    /// <summary>The file name of the OpenBLAS library that was loaded.</summary>
    public string Library { get; }
    /// <summary>Threads of the host row passes; OpenBLAS's GEMM uses its own pool (OPENBLAS_NUM_THREADS).</summary>
    public int Threads => _managed.Threads;

    /// <summary>Loads the system OpenBLAS (libopenblas.so.0 and its variants); null when none is installed.</summary>
    public static NativeBlasProvider? TryCreate(int? threads = null)
    {
        foreach (var name in Candidates)
            if (NativeLibrary.TryLoad(name, out var lib))
            {
                if (NativeLibrary.TryGetExport(lib, "cblas_dgemm", out _) && NativeLibrary.TryGetExport(lib, "cblas_sgemm", out _))
                    return new NativeBlasProvider(lib, name, threads);
                NativeLibrary.Free(lib);
            }
        return null;
    }

    /// <inheritdoc/>
    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc)
    {
        ObjectDisposedException.ThrowIf(_lib == 0, this);
        if (m == 0 || n == 0) return;
        if (k == 0) { _managed.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
        ManagedGemm.ValidateShapes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        fixed (double* pa = a, pb = b, pc = c)
            _dgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <inheritdoc/>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        ObjectDisposedException.ThrowIf(_lib == 0, this);
        if (m == 0 || n == 0) return;
        if (k == 0) { _managed.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
        ManagedGemm.ValidateShapes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        fixed (float* pa = a, pb = b, pc = c)
            _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <inheritdoc/>
    public void LogSoftmaxRows(double[] z, int rows, int cols, double[] output) => _managed.LogSoftmaxRows(z, rows, cols, output);

    /// <inheritdoc/>
    public double SoftmaxCrossEntropyGradient(double[] z, int rows, int cols, int[] labels, double[] weights, double[]? perSampleLoss) =>
        _managed.SoftmaxCrossEntropyGradient(z, rows, cols, labels, weights, perSampleLoss);

    /// <summary>Releases this provider's reference to the OpenBLAS library (each instance loaded it once).</summary>
    public void Dispose()
    {
        if (_lib != 0) { NativeLibrary.Free(_lib); _lib = 0; }
    }
}
