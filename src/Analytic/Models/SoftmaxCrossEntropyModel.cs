using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Analytic.Models;

/// <summary>Linear softmax regression with cross-entropy loss.</summary>
/// <remarks>
/// P = softmax rows of Z = XW (max subtracted), ℓ_i = −log P[i, y_i] (see <see cref="Softmax"/> for the accurate forms).
/// Gradient G = Xᵀ R with R_i = w_i (p_i − e_{y_i}); with w_i = 1/n this is Xᵀ(P − Y)/n.
/// Hessian blocks H_ab = Σ_i w_i P_ia(δ_ab − P_ib) x_i x_iᵀ.
/// HVP: R = XV, S_i = w_i (p_i∘r_i − p_i (p_i·r_i)), HV = XᵀS (r_a − p·r formed around the arg-max, see the code).
/// Block-diagonal product [H_aa v_a]_a = Xᵀ(S ∘ XV), S_ia = w_i P_ia(1 − P_ia).
/// Diagonal: diag[j, a] = Σ_i w_i P_ia(1 − P_ia) x_ij²; block trace tr(H_aa) = Σ_i w_i P_ia(1 − P_ia)‖x_i‖².
/// Null space: adding the same vector u to every column of W leaves every p_i unchanged, so H·(u 1ᵀ) = 0.
/// </remarks>
public sealed class SoftmaxCrossEntropyModel : LinearModel
{
    /// <summary>The softmax cross-entropy model of <paramref name="data"/> on <paramref name="provider"/>.</summary>
    public SoftmaxCrossEntropyModel(Dataset data, ILinearAlgebraProvider provider) : base(data, provider)
    {
        if (data.C < 2) throw new ArgumentException($"cross-entropy needs at least 2 classes, got c = {data.C}.", nameof(data));
    }

    /// <summary><see cref="LossKind.CrossEntropy"/>.</summary>
    public override LossKind Kind => LossKind.CrossEntropy;

    /// <summary>ℓ_i = −log softmax(z_i)[y_i], computed as log1p(Σ_{j≠y} e^{z_j − z_y}) when y is the arg-max.</summary>
    protected override double SampleLoss(ReadOnlySpan<double> z, int i) => Softmax.CrossEntropy(z, Data.Labels[i]);

    /// <inheritdoc/>
    public override double LossAndGradient(double[] w, double[] grad, double[]? perSampleLoss = null, double gradientScale = 1.0)
    {
        CheckW(w);
        CheckOut(grad, nameof(grad), D * C, $"d×c = {D}×{C}");
        if (perSampleLoss != null) CheckOut(perSampleLoss, nameof(perSampleLoss), N, $"n = {N}");
        var losses = perSampleLoss ?? SampleLossBuffer();
        if (Data.IdentityInputs && !ReferenceEquals(w, grad))
        {
            // Identity inputs: the logits are W itself and ∇L = R; each row is copied into the output and finished there while
            // it is in cache (no GEMMs, one pass over memory), in double on the host on every backend (the one-hot theory model).
            var sw = ScaledWeights(gradientScale);
            int c = C;
            La.RowPass(N, C, i =>
            {
                var row = grad.AsSpan(i * c, c);
                w.AsSpan(i * c, c).CopyTo(row);
                losses[i] = Softmax.CrossEntropyGradientInPlace(row, Data.Labels[i], sw[i]);
            });
            return TotalLoss(losses);
        }
        var z = Logits(w);
        // The scale rides on the sample weights of the fused pass (R_i = s·w_i(p_i − e_{y_i})), not on an extra pass.
        La.SoftmaxCrossEntropyGradient(z, N, C, Data.Labels, ScaledWeights(gradientScale), losses);
        MultiplyXt(z, grad);
        return TotalLoss(losses);
    }

    /// <summary>
    /// sign(∇L) without underflow: G[:, a] = Σ_i x_i r_ia keeps its sign when column a of R is scaled by any positive
    /// constant, so each column is scaled by 1/max_i |r_ia| computed in the log domain
    /// (log|r_ia| = log w_i + z_ia − m_i − log s_i for a ≠ y_i, log w_i + log Σ_{j≠y_i} e^{z_ij − m_i} − log s_i at a = y_i).
    /// Far along the sign flow, where every p_ia below the arg-max underflows, this still returns the exact signs.
    /// </summary>
    public override void GradientSign(double[] w, double[] sign)
    {
        CheckW(w);
        CheckOut(sign, nameof(sign), D * C, $"d×c = {D}×{C}");
        var z = Logits(w);
        int c = C;
        var logAbs = Scratch();
        La.SoftmaxResidualLogMagnitudes(z, N, c, Data.Labels, Data.Weights, logAbs);
        var colMax = new double[c];
        Array.Fill(colMax, double.NegativeInfinity);
        for (int i = 0; i < N; i++)
            for (int a = 0; a < c; a++) colMax[a] = Math.Max(colMax[a], logAbs[i * c + a]);
        for (int i = 0; i < N; i++)
        {
            int y = Data.Labels[i];
            for (int a = 0; a < c; a++)
            {
                double v = double.IsNegativeInfinity(colMax[a]) ? 0.0 : Math.Exp(logAbs[i * c + a] - colMax[a]);
                z[i * c + a] = a == y ? -v : v;
            }
        }
        var g = new double[D * c];
        MultiplyXt(z, g);
        for (int q = 0; q < g.Length; q++) sign[q] = Math.Sign(g[q]);
    }

    /// <inheritdoc/>
    protected override void ResidualRuns(double[] z, int runs, double[][] sampleLosses) =>
        La.SoftmaxCrossEntropyGradientRuns(z, N, runs, C, Data.Labels, Data.Weights, sampleLosses);

    /// <inheritdoc/>
    protected override void ResidualRuns(float[] z, int runs, double[][] sampleLosses) =>
        La.SoftmaxCrossEntropyGradientRuns(z, N, runs, C, Data.Labels, Data.Weights, sampleLosses);

    /// <inheritdoc/>
    protected override void Residuals(double[] w, double[] sampleWeights, double[] r, double[] losses)
    {
        MultiplyX(w, r);
        La.SoftmaxCrossEntropyGradient(r, N, C, Data.Labels, sampleWeights, losses);
    }

    private double[]? _scaledWeights;
    private double _scaledWeightsScale = double.NaN;

    private double[] ScaledWeights(double scale)
    {
        if (scale == 1.0) return Data.Weights;
        if (_scaledWeights == null || _scaledWeightsScale != scale)
        {
            _scaledWeights = Data.Weights.Select(v => v * scale).ToArray();
            _scaledWeightsScale = scale;
        }
        return _scaledWeights;
    }

    /// <inheritdoc/>
    public override void HessianVectorProduct(double[] w, double[] v, double[] hv)
    {
        CheckW(w);
        CheckW(v, "V");
        CheckOut(hv, nameof(hv), D * C, $"d×c = {D}×{C}");
        var p = Logits(w);
        var r = Scratch();
        MultiplyX(v, r);
        La.SoftmaxHessianVectorRows(p, r, N, C, Data.Weights);
        MultiplyXt(r, hv);
    }

    /// <remarks>The logits Z = XW are formed once; each product copies them into the row pass (which turns them into P).</remarks>
    protected override Action<double[], double[]> HessianOperatorAt(double[] w, bool blockDiagonal)
    {
        var logits = (double[])Logits(w).Clone();
        var p = new double[logits.Length];
        return (v, hv) =>
        {
            var r = Scratch();
            MultiplyX(v, r);
            Array.Copy(logits, p, logits.Length);
            if (blockDiagonal) La.SoftmaxBlockDiagonalHessianRows(p, r, N, C, Data.Weights);
            else La.SoftmaxHessianVectorRows(p, r, N, C, Data.Weights);
            MultiplyXt(r, hv);
        };
    }

    /// <inheritdoc/>
    public override void Curvature(double[] w, double[]? diagonal, double[]? blockTraces)
    {
        CheckW(w);
        if (diagonal != null) CheckOut(diagonal, nameof(diagonal), D * C, $"d×c = {D}×{C}");
        if (blockTraces != null) CheckOut(blockTraces, nameof(blockTraces), C, $"c = {C}");
        var s = Logits(w);
        int c = C;
        La.SoftmaxCurvatureRows(s, N, c, Data.Weights);
        if (diagonal != null) MultiplyXt(s, diagonal, squared: true);
        if (blockTraces != null)
        {
            var norms = RowNormSquared();
            Array.Clear(blockTraces);
            for (int i = 0; i < N; i++)
            {
                var si = s.AsSpan(i * c, c);
                for (int a = 0; a < c; a++) blockTraces[a] += si[a] * norms[i];
            }
        }
    }

    /// <inheritdoc/>
    public override double[,] DenseHessian(double[] w)
    {
        CheckW(w);
        GuardDenseSize();
        int d = D, c = C, pdim = d * c;
        var h = new double[pdim, pdim];
        var z = Logits(w);
        var p = new double[c];
        for (int i = 0; i < N; i++)
        {
            Softmax.Probabilities(z.AsSpan(i * c, c), p);
            double rest = 0; int amax = Softmax.ArgMax(p);
            for (int a = 0; a < c; a++) if (a != amax) rest += p[a];
            double wi = Data.Weights[i];
            var x = Data.X.AsSpan(i * d, d);
            for (int a = 0; a < c; a++)
                for (int b = 0; b < c; b++)
                {
                    double m = a == b ? Softmax.Curvature(p[a], a, amax, rest) : -p[a] * p[b];
                    m *= wi;
                    if (m == 0) continue;
                    for (int j = 0; j < d; j++)
                    {
                        double mx = m * x[j];
                        for (int l = 0; l < d; l++) h[j * c + a, l * c + b] += mx * x[l];
                    }
                }
        }
        return h;
    }
}
