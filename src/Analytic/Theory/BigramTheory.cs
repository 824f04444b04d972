using HeavyTail.Analytic.Data;

namespace HeavyTail.Analytic.Theory;

/// <summary>
/// Closed-form gradient descent and sign descent on the linear bigram model of Kunstner &amp; Bach 2025 (arXiv 2505.19227,
/// Section 2: L(W) = ½ Σ_i π_i Σ_j (W_ij − π_{j|i})², W_0 = 0; see <see cref="Problems.Bigram"/>).
/// </summary>
/// <remarks>
/// The Hessian is diagonal with π_i on every entry of row i, so coordinates decouple and L* = 0.
/// GD with step η: W_ij(t) − π_{j|i} = −(1 − ηπ_i)^t π_{j|i}, so L_t = ½ Σ_i π_i (1 − ηπ_i)^{2t} S_i with
/// S_i = Σ_j π_{j|i}² (the same S for every row when the conditionals are permutations of one Zipf law).
/// Sign descent with step η (sign(0) = 0): the gradient π_i(W_ij − y) has the sign of W_ij − y, so each coordinate walks
/// towards its target y = π_{j|i} by η per step: after t ≤ k = ⌊y/η⌋ steps the error is y − tη; from then on it alternates
/// between r = y − kη (t − k even) and r − η (t − k odd), or stays 0 when r = 0. The scale π_i drops out:
/// L_t = ½ Σ_i π_i Σ_j e(π_{j|i}, t)², which for permuted Zipf rows is ½ Σ_k e(p_k, t)² (Σ_i π_i = 1).
/// </remarks>
public static class BigramTheory
{
    /// <summary>Σ_k p_k² of one row of conditionals.</summary>
    public static double SquaredMass(IReadOnlyList<double> conditionals)
    {
        var s = new CompensatedSum();
        foreach (var p in conditionals) s.Add(p * p);
        return s.Value;
    }

    /// <summary>L_t − L* under GD: ½ Σ_i π_i (1 − ηπ_i)^{2t} S (every row's conditionals have squared mass S).</summary>
    public static double GdLoss(IReadOnlyList<double> marginals, double squaredMass, double eta, int t)
    {
        var s = new CompensatedSum();
        foreach (var pi in marginals) s.Add(pi * Math.Pow(1 - eta * pi, 2.0 * t));
        return 0.5 * squaredMass * s.Value;
    }

    /// <summary>(L_t − L*)/(L_0 − L*) under GD: Σ_i π_i (1 − ηπ_i)^{2t} / Σ_i π_i.</summary>
    public static double GdRelativeError(IReadOnlyList<double> marginals, double eta, int t)
    {
        double num = 0, den = 0;
        foreach (var pi in marginals) { num += pi * Math.Pow(1 - eta * pi, 2.0 * t); den += pi; }
        return num / den;
    }

    /// <summary>
    /// The fewest GD steps t with relative error ≤ ε, or null beyond <paramref name="maxSteps"/>. For 0 &lt; η ≤ 2/π_1 every
    /// |1 − ηπ_i| ≤ 1, so the relative error does not increase with t and doubling then bisection finds the first t.
    /// </summary>
    public static int? GdIterations(IReadOnlyList<double> marginals, double eta, double epsilon, int maxSteps = 1 << 30)
    {
        if (GdRelativeError(marginals, eta, 0) <= epsilon) return 0;
        long hi = 1;
        while (GdRelativeError(marginals, eta, (int)hi) > epsilon)
        {
            if (hi >= maxSteps) return null;
            hi = Math.Min(2 * hi, maxSteps);
        }
        long lo = hi / 2;   // error(lo) > ε (lo = 0 included), error(hi) ≤ ε
        while (hi - lo > 1)
        {
            long mid = (lo + hi) / 2;
            if (GdRelativeError(marginals, eta, (int)mid) <= epsilon) hi = mid; else lo = mid;
        }
        return (int)hi;
    }

    /// <summary>The error W_ij(t) − y of one coordinate with target y &gt; 0 after t sign-descent steps of size η from 0 (sign of y − W, see the remarks).</summary>
    public static double SignError(double y, double eta, int t)
    {
        double k = Math.Floor(y / eta);
        if (t <= k) return t * eta - y;
        double r = y - k * eta;
        if (r == 0) return 0;
        return ((long)(t - k) % 2 == 0) ? -r : eta - r;
    }

    /// <summary>L_t − L* under sign descent: ½ Σ_k e(p_k, t)² (rows are permutations of <paramref name="conditionals"/>, Σ_i π_i = 1).</summary>
    public static double SignLoss(IReadOnlyList<double> conditionals, double eta, int t)
    {
        var s = new CompensatedSum();
        foreach (var y in conditionals) { double e = SignError(y, eta, t); s.Add(e * e); }
        return 0.5 * s.Value;
    }

    /// <summary>
    /// The first t with sign descent's relative error L_t/L_0 ≤ ε (<paramref name="stay"/> false) or the first t from which
    /// it stays ≤ ε at every later step (<paramref name="stay"/> true), or null when it never gets there. Exact, in O(d + k_max)
    /// for k_max = ⌊max p/η⌋: coordinates are bucketed by k = ⌊y/η⌋; at step t those with k ≥ t are still walking
    /// (error y − tη, from the bucket sums of 1, y, y²) and those with k &lt; t oscillate (error r² when t − k is even,
    /// (η − r)² when odd, from prefix sums split by the parity of k). After k_max + 2 steps the loss has period 2, so a
    /// run that has not reached ε by then never does.
    /// </summary>
    /// <remarks>
    /// Why both: with a constant step from W = 0, a coordinate whose target y is below η walks 0, η, 0, η, …, so at every even
    /// step it is back at its initial error y. The first hit can therefore come at an even step at which the tail has not moved,
    /// and later odd steps are above ε again; "stays below ε" counts the steps after which the oscillation of every
    /// coordinate (±η around its target) is within ε.
    /// </remarks>
    public static int? SignIterations(IReadOnlyList<double> conditionals, double eta, double epsilon, bool stay = false, int maxBuckets = 50_000_000)
    {
        double l0 = 0, top = 0;
        foreach (var y in conditionals) { l0 += y * y; top = Math.Max(top, y); }
        double target = epsilon * l0;
        double kmaxD = Math.Floor(top / eta);
        if (kmaxD > maxBuckets) return null;
        int kmax = (int)kmaxD;
        var cnt = new double[kmax + 1]; var sy = new double[kmax + 1]; var sy2 = new double[kmax + 1];
        var rr = new double[kmax + 1]; var rm = new double[kmax + 1];
        foreach (var y in conditionals)
        {
            int k = (int)Math.Floor(y / eta);
            double r = y - k * eta;
            cnt[k] += 1; sy[k] += y; sy2[k] += y * y;
            if (r != 0) { rr[k] += r * r; rm[k] += (eta - r) * (eta - r); }
        }
        // walking part: Σ_{k ≥ t}; oscillating part: Σ_{k < t} split by parity of k
        double wc = 0, wy = 0, wy2 = 0;
        for (int k = 0; k <= kmax; k++) { wc += cnt[k]; wy += sy[k]; wy2 += sy2[k]; }
        double[] rrP = [0, 0], rmP = [0, 0];
        int lastAbove = -1;
        for (int t = 0; t <= kmax + 2; t++)
        {
            if (t >= 1 && t - 1 <= kmax)
            {
                int k = t - 1;
                wc -= cnt[k]; wy -= sy[k]; wy2 -= sy2[k];
                rrP[k & 1] += rr[k]; rmP[k & 1] += rm[k];
            }
            double te = t * eta;
            double walking = Math.Max(0, wy2 - 2 * te * wy + te * te * wc);
            double oscillating = rrP[t & 1] + rmP[1 - (t & 1)];
            bool below = walking + oscillating <= target;
            if (below && !stay) return t;
            if (!below) lastAbove = t;
        }
        // from k_max + 1 on the loss has period 2: both phases (t = k_max + 1, k_max + 2) must be below ε
        return stay && lastAbove < kmax + 1 ? lastAbove + 1 : null;
    }

    /// <summary>GD's step-size grid as fractions θ of 2/π_1: θ = 1 − 10^(−x), x = 0.05, 0.10, …, 5 (η up to 2/π_1·(1 − 1e-5)).</summary>
    public static double[] GdStepFractions() => Enumerable.Range(1, 100).Select(i => 1 - Math.Pow(10, -0.05 * i)).ToArray();

    /// <summary>Sign descent's step-size grid relative to the largest target p_1: 10^(−4 + j/16), j = 0..64 (16 per decade).</summary>
    public static double[] SignStepFractions() => Enumerable.Range(0, 65).Select(j => Math.Pow(10, -4 + j / 16.0)).ToArray();

    /// <summary>GD's best constant step size on the grid <see cref="GdStepFractions"/> (fewest steps to ε; ties: the smaller η) and its steps.</summary>
    public static (double Eta, int Steps, bool AtEdge) BestGd(IReadOnlyList<double> marginals, double epsilon)
    {
        double pi1 = marginals.Max();
        var grid = GdStepFractions();
        (double Eta, int Steps, int Index) best = (double.NaN, int.MaxValue, -1);
        for (int i = 0; i < grid.Length; i++)
        {
            double eta = grid[i] * 2 / pi1;
            if (GdIterations(marginals, eta, epsilon, best.Steps == int.MaxValue ? 1 << 30 : best.Steps) is int t && t < best.Steps) best = (eta, t, i);
        }
        return (best.Eta, best.Steps, best.Index == 0 || best.Index == grid.Length - 1);
    }

    /// <summary>Sign descent's best constant step size on the grid <see cref="SignStepFractions"/>·p_1 (fewest steps to ε; ties: the smaller η) and its steps.</summary>
    public static (double Eta, int Steps, bool AtEdge) BestSign(IReadOnlyList<double> conditionals, double epsilon, bool stay = false)
    {
        double p1 = conditionals.Max();
        var grid = SignStepFractions();
        (double Eta, int Steps, int Index) best = (double.NaN, int.MaxValue, -1);
        for (int i = 0; i < grid.Length; i++)
            if (SignIterations(conditionals, grid[i] * p1, epsilon, stay) is int t && t < best.Steps) best = (grid[i] * p1, t, i);
        return (best.Eta, best.Steps, best.Index == 0 || best.Index == grid.Length - 1);
    }
}
