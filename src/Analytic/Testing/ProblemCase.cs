using FsCheck;
using FsCheck.Fluent;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Analytic.Testing;

/// <summary>
/// A small random instance of the linear model, described by bounded integers and a seed so FsCheck can generate,
/// print and shrink it: n samples, d features, c classes drawn with p_k ∝ (k+1)^(−ZipfExponent), Gaussian inputs
/// scaled by InputScale, weights W ~ N(0, WeightScale²), an optional bias feature.
/// </summary>
public sealed record ProblemCase(int N, int D, int C, double ZipfExponent, double InputScale, double WeightScale, bool Bias, LossKind Loss, ulong Seed)
{
    /// <summary>The data set: labels drawn with p_k ∝ (k+1)^(−ZipfExponent), inputs N(0, InputScale²), a bias column when <see cref="Bias"/>.</summary>
    public Dataset Data()
    {
        var rng = new SeededRandom(Seed);
        var p = Problems.ZipfProbabilities(C, ZipfExponent);
        var labels = new int[N];
        for (int i = 0; i < N; i++)
        {
            double u = rng.NextDouble(), acc = 0; int k = 0;
            for (; k < C - 1; k++) { acc += p[k]; if (u < acc) break; }
            labels[i] = k;
        }
        var x = new double[N * D];
        rng.FillGaussian(x, InputScale);
        var data = new Dataset(x, labels, N, D, C);
        return Bias ? data.WithBias() : data;
    }

    /// <summary>The model on <paramref name="provider"/> (default: the managed reference backend).</summary>
    public LinearModel Model(ILinearAlgebraProvider? provider = null) => LinearModel.Create(Loss, Data(), provider ?? Reference);

    private static readonly ManagedLinearAlgebraProvider Reference = new();

    /// <summary>A weight matrix for the model (d×c, including the bias row when present).</summary>
    public double[] Weights(int salt = 1)
    {
        int d = Bias ? D + 1 : D;
        var w = new double[d * C];
        new SeededRandom(Seed ^ (0x9E37UL * (ulong)salt)).FillGaussian(w, WeightScale);
        return w;
    }

    /// <summary>A random direction V (d×c) for Hessian-vector products.</summary>
    public double[] Direction(int salt = 2) => Weights(salt).Select(v => WeightScale == 0 ? v : v / WeightScale).ToArray();

    /// <summary>Every field, so that FsCheck's counterexample report can be pasted back into a test.</summary>
    public override string ToString() =>
        $"ProblemCase(n={N}, d={D}, c={C}, zipf={ZipfExponent:R}, xscale={InputScale:R}, wscale={WeightScale:R}, bias={Bias}, loss={Loss}, seed={Seed})";
}

/// <summary>FsCheck generators for problems (sizes, class distributions, inputs, weights). All values are bounded and finite.</summary>
public static class ProblemGenerators
{
    /// <summary>Sizes n ≤ maxN, d ≤ maxD, 2 ≤ c ≤ maxC (dense Hessians stay small: d·c ≤ 4096).</summary>
    public static Gen<ProblemCase> Cases(LossKind? loss = null, int maxN = 12, int maxD = 5, int maxC = 5, bool allowBias = true) =>
        from n in Gen.Choose(1, maxN)
        from d in Gen.Choose(1, maxD)
        from c in Gen.Choose(2, maxC)
        from a in Gen.Elements(0.0, 0.5, 1.0, 1.5, 2.0)
        from xs in Gen.Elements(0.3, 1.0, 2.0)
        from ws in Gen.Elements(0.0, 0.5, 1.0, 3.0)
        from bias in allowBias ? Gen.Elements(false, true) : Gen.Constant(false)
        from kind in loss is LossKind l ? Gen.Constant(l) : Gen.Elements(LossKind.CrossEntropy, LossKind.Squared)
        from seed in Gen.Choose(0, int.MaxValue)
        select new ProblemCase(n, d, c, a, xs, ws, bias, kind, (ulong)seed);

    private static IEnumerable<ProblemCase> Shrink(ProblemCase p)
    {
        if (p.N > 1) yield return p with { N = p.N / 2 };
        if (p.D > 1) yield return p with { D = p.D - 1 };
        if (p.C > 2) yield return p with { C = p.C - 1 };
        if (p.Bias) yield return p with { Bias = false };
    }

    /// <summary>An FsCheck arbitrary over <see cref="Cases"/> that shrinks n, d, c and the bias towards a minimal counterexample.</summary>
    public static Arbitrary<ProblemCase> Arbitrary(LossKind? loss = null, int maxN = 12, int maxD = 5, int maxC = 5) =>
        Arb.From(Cases(loss, maxN, maxD, maxC), Shrink);
}

/// <summary>Register with [Property(Arbitrary = new[] { typeof(ProblemArbitraries) })]: any ProblemCase argument is generated.</summary>
public static class ProblemArbitraries
{
    /// <summary>Any <see cref="ProblemCase"/>, cross-entropy or squared loss.</summary>
    public static Arbitrary<ProblemCase> ProblemCase() => ProblemGenerators.Arbitrary();
}

/// <summary>As <see cref="ProblemArbitraries"/>, cross-entropy problems only.</summary>
public static class CrossEntropyArbitraries
{
    /// <summary>A cross-entropy <see cref="ProblemCase"/>.</summary>
    public static Arbitrary<ProblemCase> ProblemCase() => ProblemGenerators.Arbitrary(LossKind.CrossEntropy);
}
