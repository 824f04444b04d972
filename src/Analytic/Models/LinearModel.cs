using HeavyTail.Analytic.Data;
using System.Numerics;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Analytic.Models;

/// <summary>
/// A linear model W ∈ R^{d×c} (row-major, parameter index j·c + a) on a <see cref="Dataset"/>, with its exact
/// loss, gradient and Hessian structure. Logits Z = XW; the loss is L(W) = Σ_i w_i ℓ_i(z_i).
/// </summary>
/// <remarks>
/// The dense Hessian is indexed like the parameters: H[(j,a),(l,b)] = ∂²L/∂W_ja∂W_lb. Every method
/// validates its arguments first. Instances keep scratch buffers between calls and are not thread-safe.
/// </remarks>
public abstract class LinearModel
{
    /// <summary>The backend of this model's passes (as <see cref="LinearAlgebra"/>), for the subclasses.</summary>
    protected readonly ILinearAlgebraProvider La;
    private double[]? _z, _r;
    private double[]? _xSquared, _rowNormSquared;

    /// <summary>A model of <paramref name="data"/> whose GEMMs and row passes run on <paramref name="provider"/>.</summary>
    protected LinearModel(Dataset data, ILinearAlgebraProvider provider)
    {
        Data = data ?? throw new ArgumentNullException(nameof(data));
        La = provider ?? throw new ArgumentNullException(nameof(provider), "a model needs a linear-algebra provider (e.g. ComputeContext.LinearAlgebra).");
    }

    /// <summary>The backend every pass of this model runs on.</summary>
    public ILinearAlgebraProvider LinearAlgebra => La;

    /// <summary>The data set: X, labels, sample weights, targets.</summary>
    public Dataset Data { get; }
    /// <summary>Number of samples n.</summary>
    public int N => Data.N;
    /// <summary>Number of input features d (rows of W).</summary>
    public int D => Data.D;
    /// <summary>Number of classes (outputs) c (columns of W).</summary>
    public int C => Data.C;
    /// <summary>Number of parameters d·c, the length of W and of the gradient.</summary>
    public int ParameterCount => D * C;
    /// <summary>The loss this model computes: softmax cross-entropy or squared loss.</summary>
    public abstract LossKind Kind { get; }

    /// <summary>Per-sample loss ℓ_i(z) for one logit row.</summary>
    protected abstract double SampleLoss(ReadOnlySpan<double> z, int i);

    /// <summary>L(W) = Σ_i w_i ℓ_i; writes <paramref name="gradientScale"/>·∇L = Xᵀ R (d×c) where R_i = w_i ∂ℓ_i/∂z_i.</summary>
    /// <param name="gradientScale">multiplies the gradient written (−1 gives the gradient-flow field at no extra cost).</param>
    public abstract double LossAndGradient(double[] w, double[] grad, double[]? perSampleLoss = null, double gradientScale = 1.0);

    /// <summary>
    /// Per-sample residuals r_i = s_i·∂ℓ_i/∂z_i (n×c) at W, for sample weights s (so Xᵀr is the gradient of Σ s_i ℓ_i);
    /// per-sample losses into <paramref name="losses"/>.
    /// </summary>
    protected abstract void Residuals(double[] w, double[] sampleWeights, double[] r, double[] losses);

    /// <summary>
    /// Per-(sample, run) residuals of R runs side by side in z (n × R·c): block (i, r) ← w_i ∂ℓ_i/∂z, ℓ_i into
    /// <paramref name="sampleLosses"/>[r][i]; a block with a non-finite logit becomes NaN (that run diverged).
    /// </summary>
    protected abstract void ResidualRuns(double[] z, int runs, double[][] sampleLosses);

    /// <summary>The float32 form of <see cref="ResidualRuns(double[], int, double[][])"/>: residuals in float32, ℓ_i in float64.</summary>
    protected abstract void ResidualRuns(float[] z, int runs, double[][] sampleLosses);

    private double[]? _zWide;
    private float[]? _zWideSingle;
    private (SharedLeftOperand<float> X, SharedLeftOperand<float> Xt)? _xSingle;

    /// <summary>
    /// R runs side by side on the same data: W_wide is d × (R·c), run r's W[j, a] at j·R·c + r·c + a. One GEMM reads X once
    /// for all runs (Z = X W_wide), each (sample, run) block of c logits gets its residual, and G_wide = Xᵀ R_wide.
    /// Writes the runs' per-sample losses into <paramref name="sampleLosses"/>[r] and returns the runs' losses. Each run's
    /// numbers depend on its own columns only (a run whose W is non-finite does not disturb the others).
    /// </summary>
    /// <remarks>
    /// T = float: both GEMMs in float32 on X rounded to float32 once (<see cref="SingleInputs"/>, kept with the model), the
    /// residual pass in float32 (see the float32 <see cref="ResidualRuns(float[], int, double[][])"/>), the per-sample losses
    /// and their sum in float64. T = double: everything in float64. With <paramref name="gradient"/> false (an evaluation no
    /// update follows, such as a run's last) G_wide is left as it was and the second GEMM is skipped.
    /// </remarks>
    public double[] LossAndGradientBatched<T>(T[] wWide, int runs, T[] gradWide, double[][] sampleLosses, bool gradient = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Positive(runs, nameof(runs));
        int wc = runs * C;
        Guard.Length(wWide.Length, D * wc, nameof(wWide), $"d × R·c = {D}×{wc}");
        Guard.Length(gradWide.Length, D * wc, nameof(gradWide), $"d × R·c = {D}×{wc}");
        Guard.Length(sampleLosses.Length, runs, nameof(sampleLosses), "one per run");
        T[] z;
        if (typeof(T) == typeof(double))
        {
            z = (T[])(object)(_zWide is { } zz && zz.Length == N * wc ? zz : _zWide = new double[N * wc]);
        }
        else
        {
            z = (T[])(object)(_zWideSingle is { } zz && zz.Length == N * wc ? zz : _zWideSingle = new float[N * wc]);
        }
        if (Data.IdentityInputs) Array.Copy(wWide, z, N * wc);
        else if (typeof(T) == typeof(float)) SingleInputs().X.Gemm(wc, 1f, (float[])(object)wWide, wc, 0f, (float[])(object)z, wc);
        else La.Gemm(false, false, N, wc, D, T.One, (T[])(object)Data.X, D, wWide, wc, T.Zero, z, wc);
        if (z is double[] zd) ResidualRuns(zd, runs, sampleLosses);
        else ResidualRuns((float[])(object)z, runs, sampleLosses);
        if (!gradient) { }
        else if (Data.IdentityInputs) Array.Copy(z, gradWide, N * wc);
        else if (typeof(T) == typeof(float)) SingleInputs().Xt.Gemm(wc, 1f, (float[])(object)z, wc, 0f, (float[])(object)gradWide, wc);
        else La.Gemm(true, false, D, wc, N, T.One, (T[])(object)Data.X, D, z, wc, T.Zero, gradWide, wc);
        var loss = new double[runs];
        for (int r = 0; r < runs; r++) loss[r] = TotalLoss(sampleLosses[r]);
        return loss;
    }

    /// <summary>
    /// X rounded to float32 as the left operands of the float32 passes, X (for X·W) and Xᵀ (for Xᵀ·R), made on first use and
    /// kept: on a packing backend two packed copies (8·n·d bytes; the float32 copy they are packed from, 4·n·d, is dropped),
    /// otherwise the float32 copy (4·n·d). When the data set holds X in float32 (<see cref="Dataset.SingleInputs"/>) that
    /// array is kept anyway, so only Xᵀ is packed (its packing per product would be the strided one) and X·W reads the
    /// array, packing row blocks per product as an unpacked GEMM does: 8·n·d bytes in all (HT-Random m = 11: 4.4 GB instead
    /// of 6.6 GB), the same numbers.
    /// </summary>
    private (SharedLeftOperand<float> X, SharedLeftOperand<float> Xt) SingleInputs()
    {
        if (_xSingle is { } known) return known;
        var s = RoundedInputs(Data);
        bool held = Data.SingleInputs != null;
        return (_xSingle = (new SharedLeftOperand<float>(La, false, N, D, s, D, pack: !held), new SharedLeftOperand<float>(La, true, D, N, s, D))).Value;
    }

    /// <summary>X in float32: the data set's own float32 inputs when it holds them (no copy), else X rounded to float32 (a new array).</summary>
    public static float[] RoundedInputs(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.SingleInputs is { } held) return held;
        var s = GC.AllocateUninitializedArray<float>(data.X.Length);
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(data.X, s);
        return s;
    }

    /// <summary>
    /// The residual pass of <see cref="LossAndGradientBatched"/> without its GEMMs: <paramref name="zWide"/> holds the logits of
    /// R runs side by side (n × R·c, run r's row i at i·R·c + r·c) and is overwritten with the residuals (block (i, r) ←
    /// w_i ∂ℓ_i/∂z, so run r's gradient is Xᵀ R_r; a block with a non-finite logit becomes NaN). Writes the runs' per-sample
    /// losses into <paramref name="sampleLosses"/>[r] and returns the runs' losses. For steppers that form the logits
    /// another way (the Gram-matrix path, Z = (XXᵀ)A).
    /// </summary>
    public double[] LossAndResidualsBatched(double[] zWide, int runs, double[][] sampleLosses)
    {
        Guard.Positive(runs, nameof(runs));
        Guard.Length(zWide.Length, N * runs * C, nameof(zWide), $"n × R·c = {N}×{runs * C}");
        Guard.Length(sampleLosses.Length, runs, nameof(sampleLosses), "one per run");
        ResidualRuns(zWide, runs, sampleLosses);
        var loss = new double[runs];
        for (int r = 0; r < runs; r++) loss[r] = TotalLoss(sampleLosses[r]);
        return loss;
    }

    /// <summary>
    /// Visits g_k = Σ_{i: y_i = k} w_i ∇ℓ_i / Σ_{i: y_i = k} w_i, the gradient of the loss on class k's samples, for every class
    /// with samples (one pass: 2·n·d·c flops in all). The array passed to <paramref name="visit"/> is reused.
    /// </summary>
    public void PerClassGradients(double[] w, Action<int, double[]> visit)
    {
        CheckW(w);
        var classRows = ClassRows();
        var s = new double[N];
        for (int i = 0; i < N; i++) s[i] = Data.Weights[i] / Data.ClassMass[Data.Labels[i]];
        var r = Scratch();
        Residuals(w, s, r, SampleLossBuffer());
        var gk = new double[D * C];
        foreach (var (k, rows) in classRows)
        {
            int nk = rows.Length;
            var xk = new double[nk * D]; var rk = new double[nk * C];
            for (int q = 0; q < nk; q++)
            {
                Array.Copy(Data.X, (long)rows[q] * D, xk, (long)q * D, D);
                Array.Copy(r, (long)rows[q] * C, rk, (long)q * C, C);
            }
            La.Gemm(true, false, D, C, nk, 1.0, xk, D, rk, C, 0.0, gk, C);
            visit(k, gk);
        }
    }

    /// <summary>
    /// The pcngd direction (1/K) Σ_k g_k/‖g_k‖ over the K classes with samples and g_k ≠ 0, in one gradient-sized pass:
    /// g_k = X_kᵀ R_k, so ‖g_k‖² = Σ_{i,j∈k} (x_i·x_j)(r_i·r_j) (Gram matrices of class k, O(n_k²(d + c))), and the
    /// direction is Xᵀ R̃ with R̃_i = R_i / (K‖g_{y_i}‖). Returns K.
    /// </summary>
    public int PerClassNormalizedDirection(double[] w, double[] direction)
    {
        CheckW(w);
        CheckOut(direction, nameof(direction), D * C, $"d×c = {D}×{C}");
        var s = new double[N];
        for (int i = 0; i < N; i++) s[i] = Data.ClassMass[Data.Labels[i]] > 0 ? Data.Weights[i] / Data.ClassMass[Data.Labels[i]] : 0;
        var r = Scratch();
        Residuals(w, s, r, SampleLossBuffer());
        var norm = new double[C];
        foreach (var (k, rows) in ClassRows())
        {
            double sq = 0;
            for (int a = 0; a < rows.Length; a++)
                for (int b = a; b < rows.Length; b++)
                {
                    var xa = Data.X.AsSpan(rows[a] * D, D); var xb = Data.X.AsSpan(rows[b] * D, D);
                    var ra = r.AsSpan(rows[a] * C, C); var rb = r.AsSpan(rows[b] * C, C);
                    double term = Dot(xa, xb) * Dot(ra, rb);
                    sq += a == b ? term : 2 * term;
                }
            norm[k] = Math.Sqrt(Math.Max(sq, 0));
        }
        int classes = norm.Count(v => v > 0);
        if (classes == 0) { Array.Clear(direction); return 0; }
        for (int i = 0; i < N; i++)
        {
            double f = norm[Data.Labels[i]] > 0 ? 1.0 / (classes * norm[Data.Labels[i]]) : 0.0;
            var ri = r.AsSpan(i * C, C);
            for (int a = 0; a < C; a++) ri[a] *= f;
        }
        MultiplyXt(r, direction);
        return classes;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && a.Length >= System.Numerics.Vector<double>.Count)
        {
            var acc = System.Numerics.Vector<double>.Zero;
            int w = System.Numerics.Vector<double>.Count;
            for (; i + w <= a.Length; i += w) acc += new System.Numerics.Vector<double>(a[i..]) * new System.Numerics.Vector<double>(b[i..]);
            s = System.Numerics.Vector.Sum(acc);
        }
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private List<(int, int[])>? _classRows;

    private List<(int, int[])> ClassRows()
    {
        if (_classRows != null) return _classRows;
        var lists = new List<int>[C];
        for (int i = 0; i < N; i++) (lists[Data.Labels[i]] ??= new List<int>()).Add(i);
        return _classRows = Enumerable.Range(0, C).Where(k => lists[k] != null && Data.ClassMass[k] > 0).Select(k => (k, lists[k].ToArray())).ToList();
    }

    /// <summary>
    /// sign(∇L) entrywise (sign(0) = 0), exact even where the gradient underflows to 0 in double precision
    /// (see the cross-entropy override); the default takes the sign of the computed gradient.
    /// </summary>
    public virtual void GradientSign(double[] w, double[] sign)
    {
        var g = new double[ParameterCount];
        LossAndGradient(w, g);
        for (int i = 0; i < g.Length; i++) sign[i] = Math.Sign(g[i]);
    }

    /// <summary>Hessian-vector product H·V (V and HV are d×c), never forming H.</summary>
    public abstract void HessianVectorProduct(double[] w, double[] v, double[] hv);

    /// <summary>
    /// The block-diagonal part of the Hessian applied to V (d×c): column a of the result is H_aa v_a, every class block at
    /// once and never forming H (for cross-entropy Xᵀ(S ∘ XV) with S_ia = w_i P_ia(1 − P_ia): one GEMM pair).
    /// </summary>
    public void BlockDiagonalHessianVectorProduct(double[] w, double[] v, double[] hv) => BlockDiagonalHessianOperator(w)(v, hv);

    /// <summary>
    /// v ↦ H(W)·v at a fixed W, for many products (Lanczos, Hutchinson): what depends on W only is computed once, so a
    /// product costs the two GEMMs XV and XᵀS plus a row pass, like one gradient. W is copied; the operator reuses
    /// this model's buffers (one operator in use at a time).
    /// </summary>
    public Action<double[], double[]> HessianOperator(double[] w)
    {
        CheckW(w);
        var w0 = (double[])w.Clone();
        var apply = HessianOperatorAt(w0, blockDiagonal: false);
        return (v, hv) => { CheckW(v, "V"); CheckOut(hv, nameof(hv), D * C, $"d×c = {D}×{C}"); apply(v, hv); };
    }

    /// <summary>As <see cref="HessianOperator"/> for the block-diagonal part: V ↦ [H_aa v_a]_a.</summary>
    public Action<double[], double[]> BlockDiagonalHessianOperator(double[] w)
    {
        CheckW(w);
        var w0 = (double[])w.Clone();
        var apply = HessianOperatorAt(w0, blockDiagonal: true);
        return (v, hv) => { CheckW(v, "V"); CheckOut(hv, nameof(hv), D * C, $"d×c = {D}×{C}"); apply(v, hv); };
    }

    /// <summary>The operator of the full Hessian or of its class-block diagonal at W (validated, already copied).</summary>
    protected abstract Action<double[], double[]> HessianOperatorAt(double[] w, bool blockDiagonal);

    /// <summary>
    /// Exact Hessian diagonal (d×c) and per-class block traces tr(H_aa) (c), either may be null.
    /// One GEMM for the diagonal; the traces ride along at O(nc).
    /// </summary>
    public abstract void Curvature(double[] w, double[]? diagonal, double[]? blockTraces);

    /// <summary>The dense (d·c)×(d·c) Hessian, for small problems (d·c ≤ 4096).</summary>
    public abstract double[,] DenseHessian(double[] w);

    /// <summary>The loss L(W) = Σ_i w_i ℓ_i(W), summed with compensation.</summary>
    public double Loss(double[] w)
    {
        CheckW(w);
        var z = Logits(w);
        var losses = SampleLossBuffer();
        for (int i = 0; i < N; i++) losses[i] = SampleLoss(z.AsSpan(i * C, C), i);
        return TotalLoss(losses);
    }

    /// <summary>Writes the per-sample losses ℓ_i(W) (unweighted) to <paramref name="losses"/> (length n).</summary>
    public void PerSampleLoss(double[] w, double[] losses)
    {
        CheckW(w);
        Guard.Length(losses.Length, N, nameof(losses), "one per sample");
        var z = Logits(w);
        for (int i = 0; i < N; i++) losses[i] = SampleLoss(z.AsSpan(i * C, C), i);
    }

    /// <summary>Mean loss over the samples of each class (weighted by w_i); NaN for a class with no samples.</summary>
    public double[] PerClassLoss(double[] w)
    {
        var losses = new double[N];
        PerSampleLoss(w, losses);
        return PerClassLossFromSamples(losses);
    }

    /// <summary>Mean of given per-sample losses over the samples of each class, Σ_{y_i=k} w_i ℓ_i / Σ_{y_i=k} w_i; NaN for a class with no samples.</summary>
    public double[] PerClassLossFromSamples(ReadOnlySpan<double> losses)
    {
        return GroupMeans(losses, Data.Labels, C);
    }

    /// <summary>Loss over the samples of each group: Σ_{i∈g} w_i ℓ_i / Σ_{i∈g} w_i.</summary>
    public double[] PerGroupLoss(double[] w, FrequencyGroups groups)
    {
        var losses = new double[N];
        PerSampleLoss(w, losses);
        return PerGroupLossFromSamples(losses, groups);
    }

    /// <summary>Loss of each frequency group from given per-sample losses, Σ_{i∈g} w_i ℓ_i / Σ_{i∈g} w_i.</summary>
    public double[] PerGroupLossFromSamples(ReadOnlySpan<double> losses, FrequencyGroups groups)
    {
        Guard.Length(groups.GroupOf.Length, C, nameof(groups), "one group index per class");
        var groupOfSample = new int[N];
        for (int i = 0; i < N; i++) groupOfSample[i] = groups.GroupOf[Data.Labels[i]];
        return GroupMeans(losses, groupOfSample, groups.K);
    }

    /// <summary>
    /// L = Σ_i w_i ℓ_i with a compensated sum; for equal weights 1/n the mean is formed as
    /// ℓ_0 + Σ_i(ℓ_i − ℓ_0)/n, so a constant ℓ gives exactly ℓ (e.g. log c at W = 0).
    /// </summary>
    protected double TotalLoss(ReadOnlySpan<double> losses)
    {
        var total = new CompensatedSum();
        if (Data.UniformWeights && Data.Weights[0] == 1.0 / N)
        {
            double l0 = losses[0];
            for (int i = 0; i < losses.Length; i++) total.Add(losses[i] - l0);
            return l0 + total.Value / N;
        }
        for (int i = 0; i < losses.Length; i++) total.Add(Data.Weights[i] * losses[i]);
        return total.Value;
    }

    private double[]? _losses;

    /// <summary>A reused buffer of n per-sample losses.</summary>
    protected double[] SampleLossBuffer() => _losses ??= new double[N];

    /// <summary>Σ_{i∈g} w_i ℓ_i / Σ_{i∈g} w_i with compensated sums (for equal weights ℓ_first + Σ(ℓ_i − ℓ_first)/count); NaN for an empty g.</summary>
    private double[] GroupMeans(ReadOnlySpan<double> losses, int[] groupOfSample, int k)
    {
        var sum = new CompensatedSum[k]; var mass = new CompensatedSum[k];
        bool uniform = Data.UniformWeights;
        var first = new double[k];
        var seen = new bool[k];
        for (int i = 0; i < N; i++)
        {
            int g = groupOfSample[i];
            if (!seen[g]) { seen[g] = true; first[g] = uniform ? losses[i] : 0.0; }
            double wi = uniform ? 1.0 : Data.Weights[i];
            sum[g].Add(wi * (losses[i] - first[g])); mass[g].Add(wi);
        }
        var r = new double[k];
        for (int g = 0; g < k; g++) r[g] = mass[g].Value > 0 ? first[g] + sum[g].Value / mass[g].Value : double.NaN;
        return r;
    }

    /// <summary>The d×d block H_ab of the dense Hessian.</summary>
    public double[,] DenseHessianBlock(double[] w, int a, int b)
    {
        if ((uint)a >= (uint)C || (uint)b >= (uint)C) throw new ArgumentException($"block ({a},{b}) outside 0..{C - 1}.");
        var h = DenseHessian(w);
        var block = new double[D, D];
        for (int j = 0; j < D; j++)
            for (int l = 0; l < D; l++) block[j, l] = h[j * C + a, l * C + b];
        return block;
    }

    /// <summary>Z = XW into a reused n×c buffer.</summary>
    protected double[] Logits(double[] w)
    {
        var z = _z ??= new double[N * C];
        MultiplyX(w, z);
        return z;
    }

    /// <summary>Z = XM (n×c) for a d×c matrix M; a copy when X is the identity.</summary>
    protected void MultiplyX(double[] m, double[] z)
    {
        if (Data.IdentityInputs) Array.Copy(m, z, N * C);
        else La.Gemm(false, false, N, C, D, 1.0, Data.X, D, m, C, 0.0, z, C);
    }

    /// <summary>G = α·AᵀR (d×c) for A = X (or X∘X with <paramref name="squared"/>); a copy when X is the identity.</summary>
    protected void MultiplyXt(double[] r, double[] g, bool squared = false, double alpha = 1.0)
    {
        if (Data.IdentityInputs)
        {
            if (!ReferenceEquals(r, g)) Array.Copy(r, g, N * C);
            if (alpha != 1.0) System.Numerics.Tensors.TensorPrimitives.Multiply(g, alpha, g);
        }
        else La.Gemm(true, false, D, C, N, alpha, squared ? XSquared() : Data.X, D, r, C, 0.0, g, C);
    }

    /// <summary>A second reused n×c buffer.</summary>
    protected double[] Scratch() => _r ??= new double[N * C];

    /// <summary>X∘X (n×d), cached.</summary>
    protected double[] XSquared()
    {
        if (_xSquared != null) return _xSquared;
        var x = Data.X; var s = new double[x.Length];
        for (int i = 0; i < x.Length; i++) s[i] = x[i] * x[i];
        return _xSquared = s;
    }

    /// <summary>‖x_i‖² for each sample, cached.</summary>
    protected double[] RowNormSquared()
    {
        if (_rowNormSquared != null) return _rowNormSquared;
        var r = new double[N];
        for (int i = 0; i < N; i++)
        {
            double s = 0;
            var row = Data.X.AsSpan(i * D, D);
            for (int j = 0; j < D; j++) s += row[j] * row[j];
            r[i] = s;
        }
        return _rowNormSquared = r;
    }

    /// <summary>Throws unless <paramref name="w"/> has d·c finite entries.</summary>
    protected void CheckW(double[] w, string name = "W")
    {
        ArgumentNullException.ThrowIfNull(w, name);
        Guard.Length(w.Length, D * C, name, $"d×c = {D}×{C}");
        Guard.Finite(w, name);
    }

    /// <summary>Throws unless the output array <paramref name="x"/> is non-null with the given length.</summary>
    protected void CheckOut(double[] x, string name, int length, string shape)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        Guard.Length(x.Length, length, name, shape);
    }

    /// <summary>Throws when the dense Hessian would have more than 4096² entries (d·c &gt; 4096).</summary>
    protected void GuardDenseSize()
    {
        if ((long)D * C > 4096)
            throw new ArgumentException($"the dense Hessian has (d·c)² = {(long)D * C * D * C} entries; it is for small problems (d·c ≤ 4096). Use the HVP, diagonal or block traces instead.");
    }

    /// <summary>The model of the given loss on the context's backend.</summary>
    public static LinearModel Create(LossKind kind, Dataset data, ComputeContext compute) => Create(kind, data, compute.LinearAlgebra);

    /// <summary>The model of the given loss: <see cref="SoftmaxCrossEntropyModel"/> or <see cref="SquaredLossModel"/>.</summary>
    public static LinearModel Create(LossKind kind, Dataset data, ILinearAlgebraProvider provider) => kind switch
    {
        LossKind.CrossEntropy => new SoftmaxCrossEntropyModel(data, provider),
        LossKind.Squared => new SquaredLossModel(data, provider),
        _ => throw new ArgumentException($"unknown loss kind {kind}.", nameof(kind)),
    };
}
