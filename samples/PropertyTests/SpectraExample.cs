using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Analytic.Statistics;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace PropertyTests;

/// <summary>One spectra call: the top Hessian eigenvalues of the ht-random problem by Lanczos, against a dense eigensolver.</summary>
public class SpectraExample
{
    [Fact]
    public void Lanczos_top_eigenvalues_match_the_dense_spectrum()
    {
        var problem = Problems.HtRandom(m: 4, seed: 1);
        using var provider = new ManagedLinearAlgebraProvider();
        var model = LinearModel.Create(problem.Loss, problem.Data, provider);
        var w = new double[model.ParameterCount];

        var top = HessianSpectra.Top(model, w, k: 3, seed: 7);

        var dense = Matrix<double>.Build.DenseOfArray(model.DenseHessian(w)).Evd(Symmetricity.Symmetric).EigenValues
            .Select(e => e.Real).OrderByDescending(e => e).Take(3).ToArray();
        Assert.True(top.Converged);
        for (int i = 0; i < 3; i++)
            Assert.Equal(dense[i], top.Values[i], 1e-8 * dense[0]);
    }
}
