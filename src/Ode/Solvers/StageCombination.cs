using System.Numerics;
using System.Runtime.InteropServices;

namespace HeavyTail.Ode.Solvers;

/// <summary>
/// output = y + h·Σ_{j&lt;count} a_j k_j (y = null: 0 + …), the one vector operation of an explicit Runge–Kutta step.
/// Blocked so each block of every k_j is read once from memory while the output block stays in cache, vectorised,
/// and parallel over blocks for large states, on at most the field's <see cref="Flows.IVectorField.Threads"/> threads.
/// </summary>
internal static class StageCombination
{
    private const int Block = 8192;

    /// <summary>Runs <paramref name="body"/> for blocks 0..blocks−1: in order on this thread for small states or one thread, else in parallel on at most <paramref name="threads"/>.</summary>
    private static void ForBlocks(int blocks, int n, int threads, Action<int> body)
    {
        if (blocks == 1 || n < 1 << 16 || threads <= 1) { for (int b = 0; b < blocks; b++) body(b); }
        else Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    public static void Apply(double[]? y, double h, double[] a, double[][] k, int count, double[] output, int threads)
    {
        int n = output.Length;
        int blocks = (n + Block - 1) / Block;
        ForBlocks(blocks, n, threads, Run);

        void Run(int b)
        {
            int lo = b * Block, len = Math.Min(Block, n - lo);
            var o = output.AsSpan(lo, len);
            if (y != null) y.AsSpan(lo, len).CopyTo(o); else o.Clear();
            for (int j = 0; j < count; j++)
                if (a[j] != 0) Axpy(h * a[j], k[j].AsSpan(lo, len), o);
        }
    }

    /// <summary>
    /// Fused stage of a row-separable field: for each block of whole rows, the stage state y + h Σ a_j k_j is formed in a
    /// stack buffer and the field evaluated on it into <paramref name="kOut"/>, so the stage state never goes to memory.
    /// </summary>
    public static void ApplyAndEvaluate(double[] y, double h, double[] a, double[][] k, int count, Flows.IRowSeparableField field, double t, double[] kOut)
    {
        int n = y.Length, c = field.RowLength;
        int rowsPerBlock = Math.Max(1, Block / c), blockLen = rowsPerBlock * c;
        int blocks = (n + blockLen - 1) / blockLen;
        ForBlocks(blocks, n, field.Threads, Run);

        void Run(int b)
        {
            int lo = b * blockLen, len = Math.Min(blockLen, n - lo);
            Span<double> tmp = len <= 16384 ? stackalloc double[len] : new double[len];
            y.AsSpan(lo, len).CopyTo(tmp);
            for (int j = 0; j < count; j++)
                if (a[j] != 0) Axpy(h * a[j], k[j].AsSpan(lo, len), tmp);
            field.EvaluateRows(t, tmp, kOut.AsSpan(lo, len), lo / c);
        }
    }

    /// <summary>
    /// The last combination of an adaptive step in one pass over the stages: yNew = y + h Σ b_j k_j, and the error norm
    /// RMS_i( h Σ e_j k_{j,i} / (atol + rtol·max(|y_i|, |yNew_i|)) ) with e = b − b̂, without storing the error vector.
    /// </summary>
    public static double FinalizeWithError(double[] y, double h, double[] b, double[] e, double[][] k, int count, double[] yNew, double rtol, double atol, int threads)
    {
        int n = y.Length, blocks = (n + Block - 1) / Block;
        var partial = System.Buffers.ArrayPool<double>.Shared.Rent(blocks);
        try
        {
            ForBlocks(blocks, n, threads, Run);
            double total = 0;
            for (int q = 0; q < blocks; q++) total += partial[q];
            return Math.Sqrt(total / n);
        }
        finally { System.Buffers.ArrayPool<double>.Shared.Return(partial); }

        void Run(int blk)
        {
            int lo = blk * Block, len = Math.Min(Block, n - lo);
            Span<double> err = stackalloc double[len];
            var o = yNew.AsSpan(lo, len);
            y.AsSpan(lo, len).CopyTo(o);
            err.Clear();
            for (int j = 0; j < count; j++)
            {
                var kj = k[j].AsSpan(lo, len);
                if (b[j] != 0) Axpy(h * b[j], kj, o);
                if (e[j] != 0) Axpy(h * e[j], kj, err);
            }
            var yy = y.AsSpan(lo, len);
            double s = 0;
            int i = 0, w = Vector<double>.Count;
            if (Vector.IsHardwareAccelerated)
            {
                var acc = Vector<double>.Zero;
                var vr = new Vector<double>(rtol); var va = new Vector<double>(atol);
                for (; i + w <= len; i += w)
                {
                    var sc = va + vr * Vector.Max(Vector.Abs(new Vector<double>(yy[i..])), Vector.Abs(new Vector<double>(o[i..])));
                    var r = new Vector<double>(err[i..]) / sc;
                    acc += r * r;
                }
                s = Vector.Sum(acc);
            }
            for (; i < len; i++)
            {
                double r = err[i] / (atol + rtol * Math.Max(Math.Abs(yy[i]), Math.Abs(o[i])));
                s += r * r;
            }
            partial[blk] = s;
        }
    }

    private static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var xs = MemoryMarshal.Cast<double, Vector<double>>(x);
            var ys = MemoryMarshal.Cast<double, Vector<double>>(y);
            var av = new Vector<double>(alpha);
            for (int v = 0; v < xs.Length; v++) ys[v] += av * xs[v];
            i = xs.Length * Vector<double>.Count;
        }
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }
}
