using HeavyTail.Analytic.Models;

namespace HeavyTail.Analytic.Statistics;

/// <summary>
/// The ℓ(1,1) norm ‖H‖_{1,1} = Σ_ij |H_ij| of the linear softmax model's Hessian at W = 0, the quantity Xie et al. (arXiv
/// 2410.08198) tie Adam's rate to (smoothness in the ℓ∞ geometry of the coordinates).
/// </summary>
/// <remarks>
/// At W = 0 every sample's softmax is uniform, p = 1/c, so H = Σ_i w_i (x_i x_iᵀ) ⊗ A with A = diag(p) − ppᵀ the same c × c
/// matrix for every sample: H = Σ_x ⊗ A with Σ_x = Σ_i w_i x_i x_iᵀ (d × d). The (1,1) norm of a Kronecker product is the
/// product of the factors' (1,1) norms, and ‖A‖_{1,1} = c·(1/c − 1/c²) + (c² − c)/c² = 2(c − 1)/c, so
/// ‖H‖_{1,1} = 2(c − 1)/c · Σ_jl |Σ_x,jl| exactly, at the cost of one d × d GEMM (no dense P × P Hessian, no probes).
/// </remarks>
public static class HessianNorms
{
    /// <summary>‖H(0)‖_{1,1} of a softmax cross-entropy model, by the Kronecker factorisation above.</summary>
    public static double OneOneAtZero(LinearModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not SoftmaxCrossEntropyModel) throw new ArgumentException("the Kronecker form of H(0) holds for softmax cross-entropy only.", nameof(model));
        return 2.0 * (model.C - 1) / model.C * InputSecondMomentOneOne(model);
    }

    /// <summary>Σ_jl |Σ_x,jl| with Σ_x = Σ_i w_i x_i x_iᵀ (the model's sample weights).</summary>
    public static double InputSecondMomentOneOne(LinearModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var data = model.Data;
        int n = data.N, d = data.D;
        var x = data.X;
        var scaled = new double[x.Length];
        for (int i = 0; i < n; i++)
        {
            double w = data.Weights[i];
            for (int j = 0; j < d; j++) scaled[i * d + j] = w * x[i * d + j];
        }
        var s = new double[d * d];
        model.LinearAlgebra.Gemm(true, false, d, d, n, 1.0, x, d, scaled, d, 0.0, s, d);   // Σ_x = Xᵀ·diag(w)·X
        var sum = new CompensatedSum();
        foreach (double v in s) sum.Add(Math.Abs(v));
        return sum.Value;
    }

    /// <summary>Σ_ij |H_ij| of a dense Hessian (the reference at small sizes).</summary>
    public static double OneOne(double[,] h)
    {
        var sum = new CompensatedSum();
        foreach (double v in h) sum.Add(Math.Abs(v));
        return sum.Value;
    }
}
