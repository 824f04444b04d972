using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using HeavyTail.Analytic;
using HeavyTail.Analytic.LinearAlgebra;

BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);

/// <summary>The two GEMMs of a softmax-regression step on HT-Random m = 7 (n = 896, d = 1024, c = 127); OpenBLAS is the baseline when installed.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private const int N = 896, D = 1024, C = 127;
    private readonly double[] _x = Fill(N * D, 1), _w = Fill(D * C, 2), _z = new double[N * C], _g = new double[D * C];
    private readonly float[] _xf = Fill(N * D, 1).Select(v => (float)v).ToArray(), _wf = Fill(D * C, 2).Select(v => (float)v).ToArray(), _zf = new float[N * C];
    private readonly ManagedLinearAlgebraProvider _managed = new();
    private readonly NativeBlasProvider? _native = NativeBlasProvider.TryCreate();

    private static double[] Fill(int n, int seed) { var x = new double[n]; new SeededRandom((ulong)seed).FillGaussian(x); return x; }

    [Benchmark(Baseline = true)] public void OpenBlasXW() => (_native ?? (ILinearAlgebraProvider)_managed).Gemm(false, false, N, C, D, 1.0, _x, D, _w, C, 0.0, _z, C);
    [Benchmark] public void ManagedXW() => _managed.Gemm(false, false, N, C, D, 1.0, _x, D, _w, C, 0.0, _z, C);
    [Benchmark] public void ManagedXtR() => _managed.Gemm(true, false, D, C, N, 1.0, _x, D, _z, C, 0.0, _g, C);
    [Benchmark] public void ManagedXWFloat32() => _managed.Gemm(false, false, N, C, D, 1f, _xf, D, _wf, C, 0f, _zf, C);
}

/// <summary>The row kernels: TensorPrimitives.Exp against Math.Exp, and the fused cross-entropy gradient row for c = 127 and 2047.</summary>
[MemoryDiagnoser]
public class RowKernelBenchmarks
{
    private readonly double[] _x = Enumerable.Range(0, 1 << 16).Select(i => -30.0 * (i % 997) / 997).ToArray();
    private readonly double[] _y = new double[1 << 16];
    private double[] _row = [];

    [Params(127, 2047)] public int Classes { get; set; }

    [GlobalSetup] public void Setup() => _row = Enumerable.Range(0, Classes).Select(i => 0.01 * (i % 13)).ToArray();

    [Benchmark(Baseline = true)]
    public void MathExp() { for (int i = 0; i < _x.Length; i++) _y[i] = Math.Exp(_x[i]); }

    [Benchmark] public void VectorExp() => TensorPrimitives.Exp(_x, _y);

    [Benchmark]
    public double CrossEntropyRow()
    {
        var z = _row.ToArray();
        return Softmax.CrossEntropyGradientInPlace(z, Classes / 2, 1.0);
    }
}

/// <summary>
/// The fused row kernel x_j ← exp(x_j − m), s = Σ_j x_j (one pass, <see cref="VectorMath.ExpShiftSum(Span{double}, double)"/>)
/// against the TensorPrimitives composition Subtract + Exp + Sum (three passes), float64 and float32, at row lengths
/// c = 127, 511, 2047. Every method first copies the row (the kernels work in place); Copy times that alone.
/// Run with DOTNET_EnableAVX512F=0 to time the Vector256 paths of an AVX2-only CPU.
/// </summary>
[MemoryDiagnoser]
public class ExpShiftSumBenchmarks
{
    private double[] _src = [], _work = [];
    private float[] _srcF = [], _workF = [];
    private double _max;
    private float _maxF;

    [Params(127, 511, 2047)] public int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _src = new double[Classes];
        new SeededRandom(5).FillGaussian(_src);
        for (int j = 0; j < Classes; j++) _src[j] *= 4; // logits spread like a trained row: exp(z − m) down to ~e^-30
        _work = new double[Classes];
        _srcF = _src.Select(v => (float)v).ToArray();
        _workF = new float[Classes];
        _max = _src.Max();
        _maxF = _srcF.Max();
    }

    [Benchmark(Baseline = true)]
    public double FusedDouble() { _src.CopyTo(_work, 0); return VectorMath.ExpShiftSum(_work, _max); }

    [Benchmark]
    public double TensorPrimitivesDouble()
    {
        _src.CopyTo(_work, 0);
        TensorPrimitives.Subtract(_work, _max, _work);
        TensorPrimitives.Exp(_work, _work);
        return TensorPrimitives.Sum<double>(_work);
    }

    /// <summary>
    /// The hand-written fused float32 pass (Vector512/Vector256/Vector128.Exp and a lane sum) that VectorMath had until
    /// it measured 2× slower than the composition below; kept here as the comparison.
    /// </summary>
    [Benchmark]
    public float FusedFloat()
    {
        _srcF.CopyTo(_workF, 0);
        var x = _workF.AsSpan();
        int i = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated && x.Length >= 16)
        {
            var xs = MemoryMarshal.Cast<float, Vector512<float>>(x);
            var sh = Vector512.Create(_maxF);
            var acc = Vector512<float>.Zero;
            for (int v = 0; v < xs.Length; v++) { var e = Vector512.Exp(xs[v] - sh); xs[v] = e; acc += e; }
            s = Vector512.Sum(acc);
            i = xs.Length * 16;
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var xs = MemoryMarshal.Cast<float, Vector256<float>>(x);
            var sh = Vector256.Create(_maxF);
            var acc = Vector256<float>.Zero;
            for (int v = 0; v < xs.Length; v++) { var e = Vector256.Exp(xs[v] - sh); xs[v] = e; acc += e; }
            s = Vector256.Sum(acc);
            i = xs.Length * 8;
        }
        for (; i < x.Length; i++) { x[i] = MathF.Exp(x[i] - _maxF); s += x[i]; }
        return s;
    }

    /// <summary>VectorMath.ExpShiftSum(Span&lt;float&gt;, float): TensorPrimitives Subtract + Exp + Sum.</summary>
    [Benchmark]
    public float TensorPrimitivesFloat() { _srcF.CopyTo(_workF, 0); return VectorMath.ExpShiftSum(_workF, _maxF); }

    [Benchmark]
    public double Copy() { _src.CopyTo(_work, 0); _srcF.CopyTo(_workF, 0); return _work[0] + _workF[0]; }
}
