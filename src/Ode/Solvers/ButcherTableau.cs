namespace HeavyTail.Ode.Solvers;

/// <summary>
/// An explicit Runge–Kutta method as data: stage nodes c, coefficients A (strictly lower triangular), weights b,
/// optional embedded weights b̂ for an error estimate, and the declared orders. <see cref="Check"/> verifies
/// the row-sum condition c_i = Σ_j a_ij and every order condition (rooted trees) up to the declared orders (≤ 5).
/// </summary>
public sealed class ButcherTableau
{
    public ButcherTableau(string name, int order, double[] c, double[][] a, double[] b, double[]? bEmbedded = null, int embeddedOrder = 0)
    {
        Name = name; Order = order; C = c; A = a; B = b; BEmbedded = bEmbedded; EmbeddedOrder = embeddedOrder;
        int s = b.Length;
        if (c.Length != s || a.Length != s || a.Any(r => r.Length != s) || (bEmbedded != null && bEmbedded.Length != s))
            throw new ArgumentException($"tableau {name}: inconsistent stage counts.");
        for (int i = 0; i < s; i++)
            for (int j = i; j < s; j++)
                if (a[i][j] != 0) throw new ArgumentException($"tableau {name}: a[{i}][{j}] ≠ 0, not explicit.");
        // First-same-as-last: the last stage is evaluated at (t + h, y_{n+1}), so it is the next step's first stage.
        IsFsal = c[s - 1] == 1 && Enumerable.Range(0, s).All(j => a[s - 1][j] == b[j]);
    }

    public string Name { get; }
    public int Order { get; }
    public int EmbeddedOrder { get; }
    public double[] C { get; }
    public double[][] A { get; }
    public double[] B { get; }
    public double[]? BEmbedded { get; }
    public int Stages => B.Length;
    public bool IsFsal { get; }
    public bool HasErrorEstimate => BEmbedded != null;

    /// <summary>Residuals of the consistency and order conditions; the largest absolute residual.</summary>
    public double MaxResidual() => Conditions(B, Order).Concat(BEmbedded != null ? Conditions(BEmbedded, EmbeddedOrder) : [])
        .Concat(Enumerable.Range(0, Stages).Select(i => C[i] - A[i].Sum())).Max(Math.Abs);

    /// <summary>Throws when a condition fails by more than <paramref name="tol"/>; also checks that the weights do not reach one order higher (the declared order is exact).</summary>
    public void Check(double tol = 1e-14)
    {
        for (int i = 0; i < Stages; i++)
            if (Math.Abs(C[i] - A[i].Sum()) > tol) throw new InvalidOperationException($"{Name}: row sum of A at stage {i} is {A[i].Sum()}, c = {C[i]}.");
        Verify(B, Order, "b", tol);
        if (BEmbedded != null) Verify(BEmbedded, EmbeddedOrder, "b̂", tol);
    }

    private void Verify(double[] b, int order, string what, double tol)
    {
        if (order > 5) throw new InvalidOperationException($"{Name}: order conditions are implemented up to order 5.");
        var res = Conditions(b, order).ToArray();
        for (int i = 0; i < res.Length; i++)
            if (Math.Abs(res[i]) > tol) throw new InvalidOperationException($"{Name}: {what} fails order condition #{i + 1} (residual {res[i]:R}).");
        if (order < 5 && Conditions(b, order + 1).Skip(res.Length).All(r => Math.Abs(r) <= tol))
            throw new InvalidOperationException($"{Name}: {what} satisfies the order-{order + 1} conditions too; the declared order {order} is too low.");
    }

    /// <summary>Σ_i b_i Φ_i(τ) − 1/γ(τ) for every rooted tree τ with at most <paramref name="order"/> nodes.</summary>
    public IEnumerable<double> Conditions(double[] b, int order)
    {
        int s = Stages;
        double[] one = Enumerable.Repeat(1.0, s).ToArray();
        double[] c = C;
        double[] Mul(double[] x, double[] y) => x.Select((v, i) => v * y[i]).ToArray();
        double[] Ax(double[] x) => Enumerable.Range(0, s).Select(i => Enumerable.Range(0, s).Sum(j => A[i][j] * x[j])).ToArray();
        double Dot(double[] x) => Enumerable.Range(0, s).Sum(i => b[i] * x[i]);
        var c2 = Mul(c, c); var c3 = Mul(c2, c); var ac = Ax(c); var ac2 = Ax(c2); var aac = Ax(ac);
        if (order >= 1) yield return Dot(one) - 1;
        if (order >= 2) yield return Dot(c) - 1.0 / 2;
        if (order >= 3) { yield return Dot(c2) - 1.0 / 3; yield return Dot(ac) - 1.0 / 6; }
        if (order >= 4)
        {
            yield return Dot(c3) - 1.0 / 4; yield return Dot(Mul(c, ac)) - 1.0 / 8;
            yield return Dot(ac2) - 1.0 / 12; yield return Dot(aac) - 1.0 / 24;
        }
        if (order >= 5)
        {
            yield return Dot(Mul(c3, c)) - 1.0 / 5; yield return Dot(Mul(c2, ac)) - 1.0 / 10;
            yield return Dot(Mul(c, ac2)) - 1.0 / 15; yield return Dot(Mul(c, aac)) - 1.0 / 30;
            yield return Dot(Mul(ac, ac)) - 1.0 / 20; yield return Dot(Ax(c3)) - 1.0 / 20;
            yield return Dot(Ax(Mul(c, ac))) - 1.0 / 40; yield return Dot(Ax(ac2)) - 1.0 / 60;
            yield return Dot(Ax(aac)) - 1.0 / 120;
        }
    }
}
