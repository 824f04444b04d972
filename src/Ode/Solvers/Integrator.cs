using HeavyTail.Ode.Flows;

namespace HeavyTail.Ode.Solvers;

/// <summary>The one entry point joining a vector field, a solver, a step-size controller and save-at times (as diffrax's diffeqsolve).</summary>
public static class Integrator
{
    /// <summary>A step below this fraction of |t| (≈ 4.5 ulp) barely moves t in double precision: the solve stops with StepSizeTooSmall.</summary>
    public const double MinRelativeStep = 1e-15;

    /// <param name="observe">
    /// Maps (t, y) at each saved time to what is stored (default: a copy of y). The array passed is reused: copy what you keep.
    /// </param>
    /// <param name="cancel">Checked before every step: a cancelled solve throws <see cref="OperationCanceledException"/>.</param>
    public static Solution Solve(IVectorField field, ExplicitRungeKutta solver, double t0, double t1, double[] y0,
        SaveAt saveAt, IStepSizeController controller, Func<double, double[], double[]>? observe = null, CancellationToken cancel = default)
    {
        CheckArguments(field, solver, t0, t1, y0, saveAt, controller);
        var state = solver.Init(field, t0, y0);
        var recorder = new SolutionRecorder(solver, saveAt, observe ?? ((_, y) => (double[])y.Clone()), t0, state);
        double t = t0;
        int accepted = 0, rejected = 0;
        if (!AllFinite(state.Y) || !AllFinite(state.K[0])) return Finish(SolveResult.NonFiniteState);
        var control = controller.Start(new StepSizeStart(field, solver, t0, t1, state.Y, state.K[0]), ref state.FunctionEvaluations);
        while (t < t1)
        {
            cancel.ThrowIfCancellationRequested();
            if (accepted + rejected >= controller.MaxSteps) return Finish(SolveResult.MaxStepsReached);
            var (h, last) = control.Propose(t, t1);
            if (!(h > Math.Abs(t) * MinRelativeStep) || !(h > 0)) return Finish(SolveResult.StepSizeTooSmall);
            double errorNorm = solver.Step(field, t, h, state, controller.Tolerance);
            var verdict = control.Adapt(h, errorNorm);
            if (verdict == StepVerdict.Reject) { rejected++; continue; }
            if (verdict == StepVerdict.Diverged) { t += h; state.Advance(); return Finish(SolveResult.NonFiniteState); }
            solver.EvaluateEnd(field, t + h, state);
            double tEnd = last ? t1 : t + h;
            recorder.Accept(t, h, tEnd, state);
            t = tEnd; state.Advance(); accepted++;
            if (!AllFinite(state.K[0])) return Finish(SolveResult.NonFiniteState);
        }
        return Finish(SolveResult.Success);

        Solution Finish(SolveResult result) =>
            recorder.Finish(result, t, state.Y, new SolveStats(accepted + rejected, accepted, rejected, state.FunctionEvaluations));
    }

    private static void CheckArguments(IVectorField field, ExplicitRungeKutta solver, double t0, double t1, double[] y0,
        SaveAt saveAt, IStepSizeController controller)
    {
        ArgumentNullException.ThrowIfNull(field); ArgumentNullException.ThrowIfNull(solver); ArgumentNullException.ThrowIfNull(y0);
        ArgumentNullException.ThrowIfNull(saveAt); ArgumentNullException.ThrowIfNull(controller);
        if (y0.Length != field.Dimension) throw new ArgumentException($"y0 has length {y0.Length}, the vector field has dimension {field.Dimension}.", nameof(y0));
        if (!(t1 > t0) || !double.IsFinite(t0) || !double.IsFinite(t1)) throw new ArgumentException($"need finite t0 < t1, got t0 = {t0}, t1 = {t1}.");
        saveAt.Check(t0, t1);
        controller.Validate(solver);
    }

    private static bool AllFinite(double[] y) => Analytic.VectorMath.AllFinite(y);
}
