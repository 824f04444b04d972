using HeavyTail.Ode.Flows;

namespace HeavyTail.Ode.Solvers;

/// <summary>
/// A step-size strategy (diffrax's AbstractStepSizeController). It holds settings only, so one instance serves any number of
/// solves: <see cref="Start"/> gives each solve its own <see cref="IStepSizeState"/>, which proposes every step and judges it.
/// </summary>
public interface IStepSizeController
{
    /// <summary>Safety limit on the number of steps (accepted + rejected).</summary>
    int MaxSteps { get; }

    /// <summary>Tolerances of the error norm handed to <see cref="IStepSizeState.Adapt"/>; null: the controller reads no error estimate.</summary>
    ErrorTolerance? Tolerance { get; }

    /// <summary>Throws an <see cref="ArgumentException"/> when a setting is invalid or the solver lacks what the controller needs.</summary>
    void Validate(ExplicitRungeKutta solver);

    /// <summary>The state of one solve from (t0, y0); adds the function evaluations it spends to <paramref name="functionEvaluations"/>.</summary>
    IStepSizeState Start(StepSizeStart start, ref int functionEvaluations);
}

/// <summary>What a controller may look at when a solve starts: the problem, the solver, and f0 = f(t0, y0).</summary>
public readonly record struct StepSizeStart(IVectorField Field, ExplicitRungeKutta Solver, double T0, double T1, double[] Y0, double[] F0);

/// <summary>A controller's mutable state within one solve (diffrax's controller_state, with the methods that use it).</summary>
public interface IStepSizeState
{
    /// <summary>The next step from t (&lt; t1).</summary>
    ProposedStep Propose(double t, double t1);

    /// <summary>
    /// Judges the step of size h just taken from its error norm (≤ 1 meets the tolerance; non-finite when the step produced NaN or ±∞,
    /// and, without <see cref="IStepSizeController.Tolerance"/>, 0 or NaN for a finite or non-finite step), and sets the next step size.
    /// </summary>
    StepVerdict Adapt(double h, double errorNorm);
}

/// <summary>A controller's judgement of a step just taken.</summary>
public enum StepVerdict
{
    /// <summary>Keep the step and move on.</summary>
    Accept,
    /// <summary>Retake the step from the same point with the newly proposed size.</summary>
    Reject,
    /// <summary>The step is non-finite and the controller cannot retry it: the solve ends with <see cref="SolveResult.NonFiniteState"/>.</summary>
    Diverged,
}

/// <summary>A step of size <see cref="H"/>; <see cref="Last"/>: it ends at t1 exactly (t1 is taken as the new time, not t + h).</summary>
public readonly record struct ProposedStep(double H, bool Last)
{
    /// <summary>A remainder below this fraction of |t1| is folded into the step, not left as a sliver step of rounding noise.</summary>
    public const double EndSnapTolerance = 1e-12;

    /// <summary>A step of size h from t, cut or stretched to end at t1 when it would reach or nearly reach it.</summary>
    public static ProposedStep Toward(double t, double h, double t1) =>
        t + h >= t1 || t1 - (t + h) <= EndSnapTolerance * Math.Abs(t1) ? new(t1 - t, true) : new(h, false);
}

/// <summary>Fixed steps h = (t1 − t0)/Steps (the last one lands on t1 exactly); a non-finite step ends the solve.</summary>
public sealed record ConstantStepSize(int Steps) : IStepSizeController
{
    /// <summary>Steps + 1 (the fixed steps and one spare).</summary>
    public int MaxSteps => Steps + 1;
    /// <summary>Null: fixed steps read no error estimate.</summary>
    public ErrorTolerance? Tolerance => null;

    /// <summary>Throws unless <see cref="Steps"/> ≥ 1.</summary>
    public void Validate(ExplicitRungeKutta solver)
    {
        if (Steps < 1) throw new ArgumentException($"steps = {Steps} must be positive.");
    }

    /// <summary>Fixed steps of h = (t1 − t0)/Steps.</summary>
    public IStepSizeState Start(StepSizeStart start, ref int functionEvaluations) => new State((start.T1 - start.T0) / Steps, Steps);

    private sealed class State(double h, int steps) : IStepSizeState
    {
        private int _accepted;

        // The step count, not t + h ≥ t1, decides the last step, so rounding in t cannot add or drop one.
        public ProposedStep Propose(double t, double t1) => _accepted == steps - 1 ? new(t1 - t, true) : new(h, false);

        public StepVerdict Adapt(double h, double errorNorm)
        {
            if (!double.IsFinite(errorNorm)) return StepVerdict.Diverged;
            _accepted++;
            return StepVerdict.Accept;
        }
    }
}

/// <summary>
/// PI step-size control (Gustafsson; Hairer &amp; Wanner's DOPRI5). Error norm: RMS over components of
/// e_i / (atol + rtol·max(|y_i|, |y_i,new|)); a step is accepted when the norm is ≤ 1.
/// h_new = h / clamp(err^(1/k − 0.75β) / err_prev^β / safety, 1/MaxGrowth, 1/MinShrink), k = min(order, embedded order) + 1;
/// after a rejection the next accepted step may not grow. A non-finite step is rejected with h·MinShrink.
/// The initial step follows Hairer's heuristic (one extra function evaluation).
/// </summary>
public sealed record PIController(double Rtol = 1e-6, double Atol = 1e-9, int MaxSteps = 100_000) : IStepSizeController
{
    /// <summary>The safety factor of the step-size update (0.9).</summary>
    public double Safety { get; init; } = 0.9;
    /// <summary>β of the PI controller, the exponent of the previous error (0.04, DOPRI5's).</summary>
    public double Beta { get; init; } = 0.04;
    /// <summary>The largest shrink per step: h_new ≥ MinShrink·h (0.2).</summary>
    public double MinShrink { get; init; } = 0.2;
    /// <summary>The largest growth per step: h_new ≤ MaxGrowth·h (10).</summary>
    public double MaxGrowth { get; init; } = 10.0;
    /// <summary>Explicit first step; null for the heuristic.</summary>
    public double? InitialStep { get; init; }

    /// <summary>The integral exponent is 1/k − 0.75β, so the P-term's β shifts weight from it (Hairer &amp; Wanner II, IV.2; DOPRI5's EXPO1).</summary>
    public const double IntegralShareOfBeta = 0.75;
    /// <summary>err_prev before the first accepted step, and its floor: a tiny error cannot inflate the PI growth factor (DOPRI5's FACOLD).</summary>
    public const double InitialPreviousError = 1e-4;
    /// <summary>Floor on the error before the power: an exact step (err = 0) gives the largest growth, not 0^(negative) = ∞.</summary>
    public const double ErrorFloor = 1e-300;

    /// <summary>rtol and atol of the error norm.</summary>
    public ErrorTolerance? Tolerance => new ErrorTolerance(Rtol, Atol);

    /// <summary>Throws unless rtol, atol ≥ 0, not both 0, and MaxSteps ≥ 1.</summary>
    public void Validate()
    {
        if (!(Rtol >= 0) || !(Atol >= 0) || Rtol + Atol <= 0)
            throw new ArgumentException($"tolerances rtol = {Rtol}, atol = {Atol} must be ≥ 0 and not both 0.");
        if (MaxSteps < 1) throw new ArgumentException($"max steps = {MaxSteps} must be positive.");
    }

    /// <summary>As <see cref="Validate()"/>, and throws when the solver has no embedded error estimate.</summary>
    public void Validate(ExplicitRungeKutta solver)
    {
        Validate();
        if (!solver.Tableau.HasErrorEstimate) throw new ArgumentException($"solver {solver.Name} has no embedded error estimate; use a constant step size or bosh3/dopri5.");
    }

    /// <summary>The state of one solve, with the initial step from Hairer's heuristic unless <see cref="InitialStep"/> is set.</summary>
    public IStepSizeState Start(StepSizeStart start, ref int functionEvaluations)
    {
        var tab = start.Solver.Tableau;
        double errorOrder = Math.Min(tab.Order, tab.EmbeddedOrder) + 1;
        double h = InitialStep ?? HairerInitialStep.Select(start, Rtol, Atol, ref functionEvaluations);
        return new State(this, h, 1.0 / errorOrder - IntegralShareOfBeta * Beta);
    }

    private sealed class State(PIController c, double h, double exponent) : IStepSizeState
    {
        private double _h = h, _previousError = InitialPreviousError;
        private bool _lastRejected;

        public ProposedStep Propose(double t, double t1) => ProposedStep.Toward(t, _h, t1);

        public StepVerdict Adapt(double h, double errorNorm)
        {
            if (!double.IsFinite(errorNorm)) return Reject(h * c.MinShrink);
            double fac11 = Math.Pow(Math.Max(errorNorm, ErrorFloor), exponent);
            if (errorNorm > 1.0) return Reject(h / Math.Min(1.0 / c.MinShrink, fac11 / c.Safety));
            double fac = Math.Clamp(fac11 / Math.Pow(_previousError, c.Beta) / c.Safety, 1.0 / c.MaxGrowth, 1.0 / c.MinShrink);
            _h = _lastRejected ? Math.Min(h / fac, h) : h / fac;
            _previousError = Math.Max(errorNorm, InitialPreviousError);
            _lastRejected = false;
            return StepVerdict.Accept;
        }

        private StepVerdict Reject(double hNext)
        {
            _h = hNext;
            _lastRejected = true;
            return StepVerdict.Reject;
        }
    }
}

/// <summary>Hairer's starting step (HINIT, Hairer, Nørsett &amp; Wanner I, II.4): h from ‖y0‖/‖f0‖ and an estimate of y''.</summary>
internal static class HairerInitialStep
{
    /// <summary>Below this scaled norm, ‖y0‖ or ‖f0‖ says nothing about the scale: fall back to <see cref="FallbackStep"/>.</summary>
    private const double NegligibleNorm = 1e-5;
    /// <summary>A step small enough to be safe for any reasonably scaled problem, used when the norms are uninformative.</summary>
    private const double FallbackStep = 1e-6;
    /// <summary>The first guess moves y by about 1% of its scale: h0 = 0.01·‖y0‖/‖f0‖ (norms scaled by the tolerances).</summary>
    private const double FirstGuessFraction = 0.01;
    /// <summary>The order-based estimate h1 makes the local error h1^{p+1}·max(‖f0‖, ‖y''‖) 1% of the tolerance.</summary>
    private const double LocalErrorTarget = 0.01;
    /// <summary>max(‖f0‖, ‖y''‖) at or below this means a flat field: no order-based estimate is possible.</summary>
    private const double FlatDerivatives = 1e-15;
    /// <summary>For a flat field, h1 = h0 times this factor, but at least <see cref="FallbackStep"/>.</summary>
    private const double FlatShrink = 1e-3;
    /// <summary>The order-based estimate may not exceed this multiple of the first guess.</summary>
    private const double MaxGrowthOverFirstGuess = 100;

    public static double Select(StepSizeStart s, double rtol, double atol, ref int functionEvaluations)
    {
        var (y0, f0) = (s.Y0, s.F0);
        int n = y0.Length;
        double d0 = 0, d1 = 0;
        for (int i = 0; i < n; i++)
        {
            double sc = atol + rtol * Math.Abs(y0[i]);
            d0 += (y0[i] / sc) * (y0[i] / sc); d1 += (f0[i] / sc) * (f0[i] / sc);
        }
        d0 = Math.Sqrt(d0 / n); d1 = Math.Sqrt(d1 / n);
        double h0 = d0 < NegligibleNorm || d1 < NegligibleNorm ? FallbackStep : FirstGuessFraction * d0 / d1;
        double[] y1 = new double[n], f1 = new double[n];
        for (int i = 0; i < n; i++) y1[i] = y0[i] + h0 * f0[i];
        s.Field.Evaluate(s.T0 + h0, y1, f1); functionEvaluations++;
        double d2 = 0;
        for (int i = 0; i < n; i++)
        {
            double sc = atol + rtol * Math.Abs(y0[i]);
            double r = (f1[i] - f0[i]) / sc;
            d2 += r * r;
        }
        d2 = Math.Sqrt(d2 / n) / h0;
        double h1 = Math.Max(d1, d2) <= FlatDerivatives ? Math.Max(FallbackStep, h0 * FlatShrink)
            : Math.Pow(LocalErrorTarget / Math.Max(d1, d2), 1.0 / (s.Solver.Order + 1));
        double h = Math.Min(MaxGrowthOverFirstGuess * h0, h1);
        return double.IsFinite(h) && h > 0 ? h : FallbackStep;
    }
}
