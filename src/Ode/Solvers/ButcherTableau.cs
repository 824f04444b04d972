namespace HeavyTail.Ode.Solvers;

/// <summary>
/// An explicit Runge–Kutta method as data: stage nodes c, coefficients A (strictly lower triangular), weights b,
/// optional embedded weights b̂ for an error estimate, optional dense-output data, and the declared orders.
/// <see cref="Check"/> verifies the row-sum condition c_i = Σ_j a_ij and every order condition (rooted trees) up to the
/// declared orders (≤ 5), for the dense output at several θ as well.
/// </summary>
public sealed class ButcherTableau
{
    /// <summary>A tableau from its data; checks that the stage counts agree, A is strictly lower triangular, and dense-output data comes with an FSAL tableau.</summary>
    public ButcherTableau(string name, int order, double[] c, double[][] a, double[] b, double[]? bEmbedded = null, int embeddedOrder = 0,
        DenseOutput? denseOutput = null)
    {
        Name = name; Order = order; C = c; A = a; B = b; BEmbedded = bEmbedded; EmbeddedOrder = embeddedOrder; DenseOutput = denseOutput;
        int s = b.Length;
        if (c.Length != s || a.Length != s || a.Any(r => r.Length != s) || (bEmbedded != null && bEmbedded.Length != s)
            || (denseOutput != null && denseOutput.D.Length != s))
            throw new ArgumentException($"tableau {name}: inconsistent stage counts.");
        for (int i = 0; i < s; i++)
            for (int j = i; j < s; j++)
                if (a[i][j] != 0) throw new ArgumentException($"tableau {name}: a[{i}][{j}] ≠ 0, not explicit.");
        // First-same-as-last: the last stage is evaluated at (t + h, y_{n+1}), so it is the next step's first stage.
        IsFsal = c[s - 1] == 1 && Enumerable.Range(0, s).All(j => a[s - 1][j] == b[j]);
        if (denseOutput != null && !IsFsal)
            throw new ArgumentException($"tableau {name}: dense-output data needs an FSAL tableau (its last stage is f(t + h, y1)).");
    }

    /// <summary>The solver's name as <c>--solver</c> spells it (euler, heun, rk4, bosh3, dopri5).</summary>
    public string Name { get; }
    /// <summary>The order p of the main weights b (local error O(h^{p+1})).</summary>
    public int Order { get; }
    /// <summary>The order of the embedded weights b̂ (0 without them).</summary>
    public int EmbeddedOrder { get; }
    /// <summary>The nodes c_i: stage i is evaluated at t + c_i·h.</summary>
    public double[] C { get; }
    /// <summary>The coefficients a_ij (strictly lower triangular): stage i's state is y + h·Σ_j a_ij k_j.</summary>
    public double[][] A { get; }
    /// <summary>The weights b_j of the step, y₁ = y + h·Σ_j b_j k_j.</summary>
    public double[] B { get; }
    /// <summary>The embedded weights b̂_j; the error estimate is h·Σ_j (b_j − b̂_j) k_j. Null without one.</summary>
    public double[]? BEmbedded { get; }
    /// <summary>The number of stages s.</summary>
    public int Stages => B.Length;
    /// <summary>First same as last: the last stage is f(t + h, y₁), reused as the next step's first.</summary>
    public bool IsFsal { get; }
    /// <summary>True when the tableau has embedded weights (adaptive step sizes are possible).</summary>
    public bool HasErrorEstimate => BEmbedded != null;
    /// <summary>The continuous extension's data; null: cubic Hermite interpolation from y and f at both ends of a step.</summary>
    public DenseOutput? DenseOutput { get; }
    /// <summary>Order p* of the interpolant (local error O(h^{p*+1})): the data's, or the cubic Hermite's min(3, order).</summary>
    public int DenseOrder => DenseOutput?.Order ?? Math.Min(HermiteOrder, Order);

    /// <summary>A cubic matches y and y' at both ends, so its interpolation error is O(h⁴).</summary>
    public const int HermiteOrder = 3;

    /// <summary>The continuous extension's weights b_j(θ), with y(t + θh) ≈ y + h Σ_j b_j(θ) k_j (needs <see cref="DenseOutput"/>).</summary>
    public double[] DenseWeights(double theta)
    {
        var d = DenseOutput?.D ?? throw new InvalidOperationException($"{Name} has no dense-output data.");
        int s = Stages;
        var w = new double[s];
        // The quartic of DenseOutput with Δ = h Σ b_j k_j, h f0 = h k_0 and h f1 = h k_{s−1} (FSAL).
        double u = 1 - theta;
        for (int j = 0; j < s; j++)
        {
            double first = j == 0 ? 1 : 0, last = j == s - 1 ? 1 : 0;
            double bspl = first - B[j], r4 = B[j] - last - bspl;
            w[j] = theta * (B[j] + u * (bspl + theta * (r4 + u * d[j])));
        }
        return w;
    }

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
        if (DenseOutput is { } dense)
        {
            if (dense.Order > 5) throw new InvalidOperationException($"{Name}: order conditions are implemented up to order 5.");
            foreach (double theta in DenseCheckPoints)
            {
                var res = Conditions(DenseWeights(theta), dense.Order, theta).ToArray();
                for (int i = 0; i < res.Length; i++)
                    if (Math.Abs(res[i]) > tol) throw new InvalidOperationException($"{Name}: dense output at θ = {theta} fails order condition #{i + 1} (residual {res[i]:R}).");
            }
        }
    }

    /// <summary>θ at which the continuous order conditions are checked: b_j(θ) has degree ≤ 5, so six points pin it down.</summary>
    private static readonly double[] DenseCheckPoints = [0.1, 0.25, 0.4, 0.6, 0.75, 0.9];

    private void Verify(double[] b, int order, string what, double tol)
    {
        if (order > 5) throw new InvalidOperationException($"{Name}: order conditions are implemented up to order 5.");
        var res = Conditions(b, order).ToArray();
        for (int i = 0; i < res.Length; i++)
            if (Math.Abs(res[i]) > tol) throw new InvalidOperationException($"{Name}: {what} fails order condition #{i + 1} (residual {res[i]:R}).");
        if (order < 5 && Conditions(b, order + 1).Skip(res.Length).All(r => Math.Abs(r) <= tol))
            throw new InvalidOperationException($"{Name}: {what} satisfies the order-{order + 1} conditions too; the declared order {order} is too low.");
    }

    /// <summary>
    /// Σ_i b_i Φ_i(τ) − θ^ρ(τ)/γ(τ) for every rooted tree τ with ρ(τ) ≤ <paramref name="order"/> nodes (θ = 1: the step's
    /// weights; 0 &lt; θ &lt; 1: a continuous extension's weights b(θ)).
    /// </summary>
    public IEnumerable<double> Conditions(double[] b, int order, double theta = 1)
    {
        int s = Stages;
        double[] one = Enumerable.Repeat(1.0, s).ToArray();
        double[] c = C;
        double[] Mul(double[] x, double[] y) => x.Select((v, i) => v * y[i]).ToArray();
        double[] Ax(double[] x) => Enumerable.Range(0, s).Select(i => Enumerable.Range(0, s).Sum(j => A[i][j] * x[j])).ToArray();
        double Dot(double[] x) => Enumerable.Range(0, s).Sum(i => b[i] * x[i]);
        double p1 = theta, p2 = p1 * theta, p3 = p2 * theta, p4 = p3 * theta, p5 = p4 * theta;
        var c2 = Mul(c, c); var c3 = Mul(c2, c); var ac = Ax(c); var ac2 = Ax(c2); var aac = Ax(ac);
        if (order >= 1) yield return Dot(one) - p1;
        if (order >= 2) yield return Dot(c) - p2 / 2;
        if (order >= 3) { yield return Dot(c2) - p3 / 3; yield return Dot(ac) - p3 / 6; }
        if (order >= 4)
        {
            yield return Dot(c3) - p4 / 4; yield return Dot(Mul(c, ac)) - p4 / 8;
            yield return Dot(ac2) - p4 / 12; yield return Dot(aac) - p4 / 24;
        }
        if (order >= 5)
        {
            yield return Dot(Mul(c3, c)) - p5 / 5; yield return Dot(Mul(c2, ac)) - p5 / 10;
            yield return Dot(Mul(c, ac2)) - p5 / 15; yield return Dot(Mul(c, aac)) - p5 / 30;
            yield return Dot(Mul(ac, ac)) - p5 / 20; yield return Dot(Ax(c3)) - p5 / 20;
            yield return Dot(Ax(Mul(c, ac))) - p5 / 40; yield return Dot(Ax(ac2)) - p5 / 60;
            yield return Dot(Ax(aac)) - p5 / 120;
        }
    }
}
