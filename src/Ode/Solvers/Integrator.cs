using HeavyTail.Ode.Flows;

namespace HeavyTail.Ode.Solvers;

/// <summary>The one entry point joining a vector field, a solver, a step-size controller and save-at times (as diffrax's diffeqsolve).</summary>
public static class Integrator
{
    /// <param name="observe">
    /// Maps (t, y) at each saved time to what is stored (default: a copy of y). The array passed is reused: copy what you keep.
    /// </param>
    public static Solution Solve(IVectorField field, ExplicitRungeKutta solver, double t0, double t1, double[] y0,
        SaveAt saveAt, IStepSizeController controller, Func<double, double[], double[]>? observe = null)
    {
        ArgumentNullException.ThrowIfNull(field); ArgumentNullException.ThrowIfNull(solver); ArgumentNullException.ThrowIfNull(y0);
        ArgumentNullException.ThrowIfNull(saveAt); ArgumentNullException.ThrowIfNull(controller);
        int n = field.Dimension;
        if (y0.Length != n) throw new ArgumentException($"y0 has length {y0.Length}, the vector field has dimension {n}.", nameof(y0));
        if (!(t1 > t0) || !double.IsFinite(t0) || !double.IsFinite(t1)) throw new ArgumentException($"need finite t0 < t1, got t0 = {t0}, t1 = {t1}.");
        var saves = saveAt.Times;
        for (int i = 0; i < saves.Count; i++)
        {
            if (!(saves[i] >= t0 && saves[i] <= t1)) throw new ArgumentException($"save time {saves[i]} is outside [t0, t1] = [{t0}, {t1}].", nameof(saveAt));
            if (i > 0 && !(saves[i] > saves[i - 1])) throw new ArgumentException($"save times must be strictly increasing (at index {i}: {saves[i]}).", nameof(saveAt));
        }
        if (controller is PIController pic)
        {
            pic.Validate();
            if (!solver.Tableau.HasErrorEstimate) throw new ArgumentException($"solver {solver.Name} has no embedded error estimate; use a constant step size or bosh3/dopri5.");
        }
        observe ??= (_, y) => (double[])y.Clone();

        int s = solver.Tableau.Stages;
        var k = new double[s][];
        for (int i = 0; i < s; i++) k[i] = new double[n];
        double[] y = (double[])y0.Clone(), yNew = new double[n], tmp = new double[n], f1 = new double[n], dense = new double[n];
        var ts = new List<double>(); var values = new List<double[]>();
        int nfe = 0, accepted = 0, rejected = 0, nextSave = 0;
        bool fsal = solver.Tableau.IsFsal;

        field.Evaluate(t0, y, k[0]); nfe++;
        double t = t0;
        while (nextSave < saves.Count && saves[nextSave] == t0) { ts.Add(t0); values.Add(observe(t0, y)); nextSave++; }
        if (!AllFinite(y) || !AllFinite(k[0])) return Finish(SolveResult.NonFiniteState);

        double h;
        var pi = controller as PIController;
        if (controller is ConstantStepSize cs)
        {
            if (cs.Steps < 1) throw new ArgumentException($"steps = {cs.Steps} must be positive.");
            h = (t1 - t0) / cs.Steps;
        }
        else h = pi!.InitialStep ?? InitialStep(field, solver, t0, y, k[0], pi, tmp, f1, ref nfe);

        double errPrev = 1e-4;
        bool lastRejected = false;
        int constantStep = 0;
        while (t < t1)
        {
            if (accepted + rejected >= controller.MaxSteps) return Finish(SolveResult.MaxStepsReached);
            bool last;
            if (controller is ConstantStepSize c2)
            {
                last = constantStep == c2.Steps - 1;
                if (last) h = t1 - t;
            }
            else
            {
                last = t + h >= t1 || t1 - (t + h) <= 1e-12 * Math.Abs(t1);
                if (last) h = t1 - t;
            }
            if (!(h > Math.Abs(t) * 1e-15) || !(h > 0)) return Finish(SolveResult.StepSizeTooSmall);

            double errNorm = 0;
            nfe += pi != null
                ? solver.StepWithError(field, t, h, y, k, yNew, tmp, pi.Rtol, pi.Atol, out errNorm)
                : solver.Step(field, t, h, y, k, yNew, tmp);
            // A non-finite stage makes the error estimate non-finite; without one, check the new state itself.
            bool finite = pi != null ? double.IsFinite(errNorm) : AllFinite(yNew);
            bool accept = true;
            double hNext = h;
            if (pi != null)
            {
                if (!finite) { accept = false; hNext = h * pi.MinShrink; }
                else
                {
                    double e = errNorm;
                    double k1 = Math.Min(solver.Tableau.Order, solver.Tableau.EmbeddedOrder) + 1;
                    double expo = 1.0 / k1 - 0.75 * pi.Beta;
                    double fac11 = Math.Pow(Math.Max(e, 1e-300), expo);
                    if (e <= 1.0)
                    {
                        double fac = fac11 / Math.Pow(errPrev, pi.Beta) / pi.Safety;
                        fac = Math.Clamp(fac, 1.0 / pi.MaxGrowth, 1.0 / pi.MinShrink);
                        hNext = h / fac;
                        if (lastRejected) hNext = Math.Min(hNext, h);
                        errPrev = Math.Max(e, 1e-4);
                    }
                    else
                    {
                        accept = false;
                        hNext = h / Math.Min(1.0 / pi.MinShrink, fac11 / pi.Safety);
                    }
                }
            }
            else if (!finite)
            {
                t += h; Array.Copy(yNew, y, n);
                return Finish(SolveResult.NonFiniteState);
            }

            if (!accept)
            {
                rejected++; lastRejected = true; h = hNext;
                continue;
            }
            // f at the new point: the FSAL stage, or one evaluation (it is the next step's first stage anyway).
            if (fsal) Array.Copy(k[s - 1], f1, n);
            else { field.Evaluate(t + h, yNew, f1); nfe++; }
            double tNew = last ? t1 : t + h;
            while (nextSave < saves.Count && saves[nextSave] <= tNew)
            {
                double ts0 = saves[nextSave];
                if (ts0 == tNew) values.Add(observe(ts0, yNew));
                else
                {
                    solver.Interpolate((ts0 - t) / h, h, y, yNew, k, f1, dense);
                    values.Add(observe(ts0, dense));
                }
                ts.Add(ts0);
                nextSave++;
            }
            t = tNew;
            (y, yNew) = (yNew, y);
            (k[0], f1) = (f1, k[0]);
            accepted++; constantStep++; lastRejected = false;
            h = hNext;
            if (!AllFinite(k[0])) return Finish(SolveResult.NonFiniteState);
        }
        return Finish(SolveResult.Success);

        Solution Finish(SolveResult result) =>
            new(ts.ToArray(), values.ToArray(), t, (double[])y.Clone(), new SolveStats(accepted + rejected, accepted, rejected, nfe), result);
    }

    private static bool AllFinite(double[] y) => Analytic.VectorMath.AllFinite(y);

    /// <summary>Hairer's starting step (HINIT): h from ‖y0‖/‖f0‖ and an estimate of the second derivative.</summary>
    private static double InitialStep(IVectorField f, ExplicitRungeKutta solver, double t0, double[] y0, double[] f0, PIController pi,
        double[] y1, double[] f1, ref int nfe)
    {
        int n = y0.Length;
        double d0 = 0, d1 = 0;
        for (int i = 0; i < n; i++)
        {
            double sc = pi.Atol + pi.Rtol * Math.Abs(y0[i]);
            d0 += (y0[i] / sc) * (y0[i] / sc); d1 += (f0[i] / sc) * (f0[i] / sc);
        }
        d0 = Math.Sqrt(d0 / n); d1 = Math.Sqrt(d1 / n);
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        for (int i = 0; i < n; i++) y1[i] = y0[i] + h0 * f0[i];
        f.Evaluate(t0 + h0, y1, f1); nfe++;
        double d2 = 0;
        for (int i = 0; i < n; i++)
        {
            double sc = pi.Atol + pi.Rtol * Math.Abs(y0[i]);
            double r = (f1[i] - f0[i]) / sc;
            d2 += r * r;
        }
        d2 = Math.Sqrt(d2 / n) / h0;
        double h1 = Math.Max(d1, d2) <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / Math.Max(d1, d2), 1.0 / (solver.Order + 1));
        double h = Math.Min(100 * h0, h1);
        return double.IsFinite(h) && h > 0 ? h : 1e-6;
    }
}
