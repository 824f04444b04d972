namespace HeavyTail.Ode.Solvers;

/// <summary>
/// A continuous extension of an FSAL Runge–Kutta step as data, in Hairer's form (DOPRI5's CONTD5). With Δ = y1 − y0,
/// f0 = k_0 and f1 = f(t + h, y1) = k_{s−1}:
/// y(t + θh) = y0 + θ(Δ + (1−θ)(h f0 − Δ + θ(Δ − h f1 − (h f0 − Δ) + (1−θ) h Σ_j d_j k_j))),
/// i.e. the cubic Hermite interpolant plus θ²(1−θ)² h Σ_j d_j k_j. <see cref="Order"/> is its order p* (local error O(h^{p*+1})).
/// </summary>
/// <param name="Order">The order p* of the interpolant, checked by <see cref="ButcherTableau.Check"/>.</param>
/// <param name="D">The weights d_j of the quartic term, one per stage.</param>
public sealed record DenseOutput(int Order, double[] D);
