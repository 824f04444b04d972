namespace HeavyTail.Ode.Solvers;

/// <summary>The explicit Runge–Kutta methods shipped with the toolkit.</summary>
public static class Tableaus
{
    /// <summary>Forward Euler: y₁ = y + h f(t, y), order 1.</summary>
    public static readonly ButcherTableau Euler = new("euler", 1, [0.0], [[0.0]], [1.0]);

    /// <summary>Heun's method (explicit trapezoid), order 2.</summary>
    public static readonly ButcherTableau Heun = new("heun", 2, [0.0, 1.0], [[0.0, 0.0], [1.0, 0.0]], [0.5, 0.5]);

    /// <summary>The classical Runge–Kutta method, order 4.</summary>
    public static readonly ButcherTableau Rk4 = new("rk4", 4, [0.0, 0.5, 0.5, 1.0],
        [[0, 0, 0, 0], [0.5, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, 1, 0]],
        [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6]);

    /// <summary>Bogacki–Shampine 3(2), FSAL.</summary>
    public static readonly ButcherTableau BogackiShampine32 = new("bosh3", 3, [0.0, 0.5, 0.75, 1.0],
        [[0, 0, 0, 0], [0.5, 0, 0, 0], [0, 0.75, 0, 0], [2.0 / 9, 1.0 / 3, 4.0 / 9, 0]],
        [2.0 / 9, 1.0 / 3, 4.0 / 9, 0.0],
        [7.0 / 24, 1.0 / 4, 1.0 / 3, 1.0 / 8], 2);

    /// <summary>Coefficients d of the dense output of Dormand–Prince 5(4) (Hairer, Nørsett &amp; Wanner; DOPRI5's CONTD5); above the tableau, as static fields initialise in textual order.</summary>
    public static readonly double[] DormandPrinceDense =
        [-12715105075.0 / 11282082432, 0, 87487479700.0 / 32700410799, -10690763975.0 / 1880347072,
         701980252875.0 / 199316789632, -1453857185.0 / 822651844, 69997945.0 / 29380423];

    /// <summary>Dormand–Prince 5(4), FSAL, with Hairer's 4th-order dense output (see <see cref="DormandPrinceDense"/>).</summary>
    public static readonly ButcherTableau DormandPrince54 = new("dopri5", 5, [0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0],
        [
            [0, 0, 0, 0, 0, 0, 0],
            [1.0 / 5, 0, 0, 0, 0, 0, 0],
            [3.0 / 40, 9.0 / 40, 0, 0, 0, 0, 0],
            [44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0, 0, 0],
            [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0, 0, 0],
            [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656, 0, 0],
            [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0],
        ],
        [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0],
        [5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40], 4,
        new DenseOutput(4, DormandPrinceDense));

    /// <summary>Every tableau, in order of increasing cost.</summary>
    public static readonly IReadOnlyList<ButcherTableau> All = [Euler, Heun, Rk4, BogackiShampine32, DormandPrince54];

    /// <summary>The tableau of that name; an unknown name is an <see cref="ArgumentException"/> listing the names.</summary>
    public static ButcherTableau ByName(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"unknown solver '{name}'{Analytic.Spelling.DidYouMean(name, All.Select(t => t.Name))}; choose one of: {string.Join(", ", All.Select(t => t.Name))}.");
}
