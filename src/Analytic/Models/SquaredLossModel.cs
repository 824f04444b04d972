using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Analytic.Models;

/// <summary>Linear regression with squared loss on targets Y (n×c; one-hot of y unless given).</summary>
/// <remarks>
/// ℓ_i = ½‖x_iW − y_i‖², L = Σ_i w_i ℓ_i (= (1/2n)‖XW − Y‖² for w_i = 1/n).
/// Gradient G = Xᵀ diag(w)(XW − Y). Hessian blocks H_ab = δ_ab Σ_i w_i x_i x_iᵀ (independent of W).
/// HVP = Xᵀ diag(w) X V; diagonal diag[j, a] = Σ_i w_i x_ij²; block trace tr(H_aa) = Σ_i w_i ‖x_i‖².
/// </remarks>
public sealed class SquaredLossModel : LinearModel
{
    private readonly double[] _y;

    /// <summary>The squared-loss model of <paramref name="data"/> (targets Y, or the one-hot labels) on <paramref name="provider"/>.</summary>
    public SquaredLossModel(Dataset data, ILinearAlgebraProvider provider) : base(data, provider)
    {
        _y = data.TargetsOrOneHot();
    }

    /// <summary><see cref="LossKind.Squared"/>.</summary>
    public override LossKind Kind => LossKind.Squared;

    /// <summary>ℓ_i = ½‖z_i − Y_i‖².</summary>
    protected override double SampleLoss(ReadOnlySpan<double> z, int i)
    {
        var y = _y.AsSpan(i * C, C);
        double s = 0;
        for (int a = 0; a < z.Length; a++) { double r = z[a] - y[a]; s += r * r; }
        return 0.5 * s;
    }

    /// <inheritdoc/>
    public override double LossAndGradient(double[] w, double[] grad, double[]? perSampleLoss = null, double gradientScale = 1.0)
    {
        CheckW(w);
        CheckOut(grad, nameof(grad), D * C, $"d×c = {D}×{C}");
        if (perSampleLoss != null) CheckOut(perSampleLoss, nameof(perSampleLoss), N, $"n = {N}");
        var z = Logits(w);
        var losses = perSampleLoss ?? SampleLossBuffer();
        for (int i = 0; i < N; i++)
        {
            var zi = z.AsSpan(i * C, C); var yi = _y.AsSpan(i * C, C);
            double s = 0, wi = Data.Weights[i];
            for (int a = 0; a < C; a++) { double r = zi[a] - yi[a]; s += r * r; zi[a] = wi * r; }
            losses[i] = 0.5 * s;
        }
        MultiplyXt(z, grad, alpha: gradientScale);
        return TotalLoss(losses);
    }

    /// <inheritdoc/>
    protected override void ResidualRuns(double[] z, int runs, double[][] sampleLosses)
    {
        int c = C, wc = runs * c;
        La.RowPass(N, wc, i =>
        {
            var y = _y.AsSpan(i * c, c);
            double wi = Data.Weights[i];
            for (int r = 0; r < runs; r++)
            {
                var zr = z.AsSpan(i * wc + r * c, c);
                double s = 0;
                for (int a = 0; a < c; a++) { double e = zr[a] - y[a]; s += e * e; zr[a] = wi * e; }
                sampleLosses[r][i] = 0.5 * s;
            }
        });
    }

    private float[]? _ySingle;

    /// <remarks>float32: e = z − y and w_i·e in float32 (y rounded to float32), ℓ_i = ½Σe² accumulated in float64.</remarks>
    protected override void ResidualRuns(float[] z, int runs, double[][] sampleLosses)
    {
        int c = C, wc = runs * c;
        var ys = _ySingle ??= _y.Select(v => (float)v).ToArray();
        La.RowPass(N, wc, i =>
        {
            var y = ys.AsSpan(i * c, c);
            float wi = (float)Data.Weights[i];
            for (int r = 0; r < runs; r++)
            {
                var zr = z.AsSpan(i * wc + r * c, c);
                double s = 0;
                for (int a = 0; a < c; a++) { float e = zr[a] - y[a]; s += (double)e * e; zr[a] = wi * e; }
                sampleLosses[r][i] = 0.5 * s;
            }
        });
    }

    /// <inheritdoc/>
    protected override void Residuals(double[] w, double[] sampleWeights, double[] r, double[] losses)
    {
        MultiplyX(w, r);
        for (int i = 0; i < N; i++)
        {
            double s = 0;
            for (int a = 0; a < C; a++) { double e = r[i * C + a] - _y[i * C + a]; s += e * e; r[i * C + a] = sampleWeights[i] * e; }
            losses[i] = 0.5 * s;
        }
    }

    /// <inheritdoc/>
    public override void HessianVectorProduct(double[] w, double[] v, double[] hv)
    {
        CheckW(w);
        CheckW(v, "V");
        CheckOut(hv, nameof(hv), D * C, $"d×c = {D}×{C}");
        var r = Scratch();
        MultiplyX(v, r);
        for (int i = 0; i < N; i++)
        {
            double wi = Data.Weights[i];
            var ri = r.AsSpan(i * C, C);
            for (int a = 0; a < C; a++) ri[a] *= wi;
        }
        MultiplyXt(r, hv);
    }

    /// <remarks>H = (Σ_i w_i x_i x_iᵀ) ⊗ I does not depend on W and is block-diagonal already: both operators are the HVP.</remarks>
    protected override Action<double[], double[]> HessianOperatorAt(double[] w, bool blockDiagonal) => (v, hv) => HessianVectorProduct(w, v, hv);

    /// <inheritdoc/>
    public override void Curvature(double[] w, double[]? diagonal, double[]? blockTraces)
    {
        CheckW(w);
        if (diagonal != null)
        {
            CheckOut(diagonal, nameof(diagonal), D * C, $"d×c = {D}×{C}");
            var xs = XSquared();
            var col = new double[D];
            for (int i = 0; i < N; i++)
                for (int j = 0; j < D; j++) col[j] += Data.Weights[i] * xs[i * D + j];
            for (int j = 0; j < D; j++)
                for (int a = 0; a < C; a++) diagonal[j * C + a] = col[j];
        }
        if (blockTraces != null)
        {
            CheckOut(blockTraces, nameof(blockTraces), C, $"c = {C}");
            var norms = RowNormSquared();
            double t = 0;
            for (int i = 0; i < N; i++) t += Data.Weights[i] * norms[i];
            Array.Fill(blockTraces, t);
        }
    }

    /// <inheritdoc/>
    public override double[,] DenseHessian(double[] w)
    {
        CheckW(w);
        GuardDenseSize();
        int d = D, c = C;
        var h = new double[d * c, d * c];
        for (int i = 0; i < N; i++)
        {
            double wi = Data.Weights[i];
            for (int j = 0; j < d; j++)
                for (int l = 0; l < d; l++)
                {
                    double v = wi * Data.X[i * d + j] * Data.X[i * d + l];
                    for (int a = 0; a < c; a++) h[j * c + a, l * c + a] += v;
                }
        }
        return h;
    }
}
