using HeavyTail.Analytic.Theory;

namespace HeavyTail.Experiments.Runs;

/// <summary>How a loss decays in its tail: ℓ ≈ C·t^r (power law, gradient flow) or ℓ ≈ C·e^(r t) (exponential, sign flow).</summary>
public enum DecayLaw
{
    /// <summary>ℓ ≈ C·t^r: r is the slope of log ℓ against log t (Theorem 3, gradient flow: r = −1, C = (c − 1)/(c π_k)).</summary>
    PowerLaw,
    /// <summary>ℓ ≈ C·e^(r t): r is the slope of log ℓ against t (sign flow: r = −2, C = c − 1).</summary>
    Exponential,
}

/// <summary>
/// One loss curve to fit: a class (one-hot model) or a frequency group, its frequency π (a group's: the sum of its
/// classes'), its loss at the request's times, and the closed form ℓ(t) the theory predicts for it (null: none known).
/// </summary>
public sealed record RateSeries(string Name, double Frequency, IReadOnlyList<double> Loss, Func<double, double>? Exact);

/// <summary>
/// What to fit and what the theory predicts: the curves on one time axis, their decay law, the law's asymptotic rate
/// (−1 or −2) and prefactor (a function of the frequency), the tolerances and why they are what they are, and the loss
/// threshold whose crossing times are compared across frequencies (with the predicted slope of log t against log π).
/// </summary>
public sealed record RateRequest(string What, DecayLaw Law, IReadOnlyList<double> Times, IReadOnlyList<RateSeries> Series,
    double AsymptoticRate, Func<double, double>? AsymptoticPrefactor, double Tolerance, string ToleranceReason,
    double Threshold, double? ThresholdSlope, double ThresholdTolerance, string ThresholdReason)
{
    /// <summary>Relative tolerance on the prefactor at the window's end (default <see cref="FlowRates.PrefactorTolerance"/>).</summary>
    public double PrefactorTolerance { get; init; } = FlowRates.PrefactorTolerance;
}

/// <summary>
/// The fit of one curve over its tail window [From, To] (Points saved times): the rate the closed form has over that same
/// window (Predicted, null without a closed form), the law's asymptotic rate, the fitted rate, and the prefactor
/// (ℓ·π·t for a power law, ℓ·e^(−r t) for an exponential) at the window's end, fitted against the closed form's.
/// </summary>
public sealed record RateRow(string Name, double Frequency, double From, double To, int Points, double? Predicted, double Asymptotic,
    double Fitted, double? PrefactorPredicted, double PrefactorAsymptotic, double PrefactorFitted, bool? Pass);

/// <summary>The slope of log(time to reach the threshold) against log π over the curves that reached it, fitted and predicted.</summary>
public sealed record ThresholdRow(double Threshold, int Reached, IReadOnlyList<string> NotReached, double? Predicted, double Fitted, bool? Pass);

/// <summary>Rates with their verdicts: the rows, the threshold slope, and the request's tolerances and reasons.</summary>
public sealed record RateReport(RateRequest Request, IReadOnlyList<RateRow> Rows, ThresholdRow Threshold)
{
    /// <summary>True when every verdict that could be given passed; null when the theory predicts nothing here.</summary>
    public bool? Pass => Rows.All(r => r.Pass == null) && Threshold.Pass == null ? null
        : Rows.All(r => r.Pass != false) && Threshold.Pass != false;
}

/// <summary>
/// Fits the tail rate of per-class or per-group loss curves and judges it against the closed forms of
/// <see cref="OneHotTheory"/> (Theorem 3 of Kunstner et al. 2024: ℓ_k ≈ (c − 1)/(c π_k t) under gradient flow,
/// ℓ_k ≈ (c − 1)e^(−2t) under sign flow), writes rates.json and the lines a command prints.
/// </summary>
public static class FlowRates
{
    /// <summary>Losses at or below this are left out of a fit: ℓ is a difference of log-sum-exps, resolved to ~1e-16 of log c.</summary>
    public const double LossFloor = 1e-12;

    /// <summary>Fewest points a tail window holds (it reaches further back until it has them).</summary>
    public const int MinPoints = 5;

    /// <summary>Fits every curve of the request over its tail window and the crossing-time slope; verdicts where a closed form exists.</summary>
    public static RateReport Evaluate(RateRequest q)
    {
        var rows = q.Series.Select(s => Row(q, s)).ToList();
        return new RateReport(q, rows, ThresholdSlope(q));
    }

    private static RateRow Row(RateRequest q, RateSeries s)
    {
        var idx = Window(q, s.Loss);
        var t = idx.Select(i => q.Times[i]).ToArray();
        var fitted = Fit(q.Law, t, idx.Select(i => s.Loss[i]).ToArray());
        double? predicted = s.Exact == null || idx.Length < 2 ? null : Fit(q.Law, t, t.Select(s.Exact).ToArray());
        double end = t.Length > 0 ? t[^1] : double.NaN;
        double PrefactorOf(double loss) => q.Law == DecayLaw.PowerLaw ? loss * s.Frequency * end : loss * Math.Exp(-q.AsymptoticRate * end);
        double prefFitted = t.Length > 0 ? PrefactorOf(s.Loss[idx[^1]]) : double.NaN;
        double? prefPredicted = s.Exact == null || t.Length == 0 ? null : PrefactorOf(s.Exact(end));
        bool? pass = predicted is double p && prefPredicted is double pp
            ? Math.Abs(fitted - p) <= q.Tolerance && Math.Abs(prefFitted - pp) <= q.PrefactorTolerance * Math.Abs(pp)
            : null;
        return new RateRow(s.Name, s.Frequency, t.Length > 0 ? t[0] : double.NaN, end, t.Length, predicted, q.AsymptoticRate,
            fitted, prefPredicted, q.AsymptoticPrefactor?.Invoke(s.Frequency) ?? double.NaN, prefFitted, pass);
    }

    /// <summary>Default relative tolerance on the prefactor at the window's end (the loss itself, scaled: a flow solver's error is far below it).</summary>
    public const double PrefactorTolerance = 0.01;

    /// <summary>
    /// The tail window of one curve: its usable points (t &gt; 0, finite loss above <see cref="LossFloor"/>), from the last
    /// one's time T_s back to T_s/10 (power law: the last decade) or T_s/2 (exponential: the last half), and at least
    /// <see cref="MinPoints"/> points when the curve has them.
    /// </summary>
    public static int[] Window(RateRequest q, IReadOnlyList<double> loss)
    {
        var ok = Enumerable.Range(0, q.Times.Count).Where(i => q.Times[i] > 0 && double.IsFinite(loss[i]) && loss[i] > LossFloor).ToArray();
        if (ok.Length == 0) return ok;
        double end = q.Times[ok[^1]], from = q.Law == DecayLaw.PowerLaw ? end / 10 : end / 2;
        var tail = ok.Where(i => q.Times[i] >= from).ToArray();
        return tail.Length >= MinPoints ? tail : ok[Math.Max(0, ok.Length - MinPoints)..];
    }

    /// <summary>The least-squares slope of log ℓ against log t (power law) or against t (exponential).</summary>
    public static double Fit(DecayLaw law, IReadOnlyList<double> t, IReadOnlyList<double> loss) => law == DecayLaw.PowerLaw
        ? RateCheck.PowerLawExponent(t, loss, 0).Fitted
        : RateCheck.ExponentialRate(t, loss, double.NegativeInfinity).Fitted;

    private static ThresholdRow ThresholdSlope(RateRequest q)
    {
        var crossed = q.Series.Select(s => (s, t: Crossing(q.Times, s.Loss, q.Threshold))).ToList();
        var reached = crossed.Where(c => double.IsFinite(c.t)).ToList();
        var fit = RateCheck.FrequencyDependence(reached.Select(c => c.s.Frequency).ToArray(), reached.Select(c => c.t).ToArray(), q.ThresholdSlope ?? double.NaN);
        bool enough = reached.Select(c => c.s.Frequency).Distinct().Count() >= 2;
        bool? pass = q.ThresholdSlope is double p && enough ? Math.Abs(fit.Fitted - p) <= q.ThresholdTolerance : null;
        return new ThresholdRow(q.Threshold, reached.Count, crossed.Where(c => !double.IsFinite(c.t)).Select(c => c.s.Name).ToList(),
            q.ThresholdSlope, enough ? fit.Fitted : double.NaN, pass);
    }

    /// <summary>The first time a curve falls to <paramref name="threshold"/>, interpolated log-linearly between saved times; NaN if it never does.</summary>
    public static double Crossing(IReadOnlyList<double> t, IReadOnlyList<double> loss, double threshold)
    {
        for (int i = 1; i < t.Count; i++)
            if (loss[i] <= threshold && loss[i - 1] > threshold)
            {
                double a = Math.Log(loss[i - 1] / threshold) / Math.Log(loss[i - 1] / loss[i]);
                return t[i - 1] + a * (t[i] - t[i - 1]);
            }
        return double.NaN;
    }
}

/// <summary>
/// The rate requests of the one-hot theory model (<see cref="OneHotTheory"/>) for a solved flow table, rates.json, and
/// the printed lines.
/// </summary>
public static class OneHotRates
{
    /// <summary>
    /// Exponent and rate tolerance. The closed forms are exact for the one-hot model from W = 0, and the predicted rate is
    /// the closed form's own least-squares slope over the same window, so fitted and predicted differ only by the solver's
    /// error (dopri5 at rtol 1e-10 agrees with the closed form to ~1e-9 relative); 0.01 leaves room for coarse fixed-step
    /// solves and still rejects a wrong law (1/t against 1/√t differs by 0.5, sign flow's rate against gradient flow's by far more).
    /// </summary>
    public const double Tolerance = 0.01;

    /// <summary>
    /// Crossing-time slope tolerance: a crossing is interpolated log-linearly between saved times, which errs by a fraction
    /// of a grid step (≤ 1 % in time with ≥ 25 saved times per decade); 0.02 covers that and separates the −1 of gradient flow
    /// from the 0 of sign flow fifty times over.
    /// </summary>
    public const double ThresholdTolerance = 0.02;

    /// <summary>
    /// The request for a flow table: per class on the one-hot model (per group otherwise); closed forms for gradient flow
    /// and exact sign flow from W = 0 (<paramref name="theory"/>); fitted rates without a verdict for any other flow.
    /// </summary>
    public static RateRequest ForTable(string flowName, FlowTable table, IReadOnlyList<double> classMass, IReadOnlyList<int> groupOf, bool theory)
    {
        int c = classMass.Count;
        bool classes = table.Header.Length > 2 && table.Header[2] == "class_0_loss";
        bool sign = theory && flowName == "sign", gradient = theory && flowName == "gradient";
        int count = classes ? c : groupOf.Max() + 1;
        var series = Enumerable.Range(0, count).Select(i =>
        {
            double pi = classes ? classMass[i] : Enumerable.Range(0, c).Where(k => groupOf[k] == i).Sum(k => classMass[k]);
            Func<double, double>? exact = gradient ? t => OneHotTheory.GradientFlowLoss(t, pi, c) : sign ? t => OneHotTheory.SignFlowLoss(t, c) : null;
            return new RateSeries(classes ? $"class {i}" : $"group {i}", pi, table.Rows.Select(r => r[2 + i]).ToArray(), exact);
        }).ToList();
        return Base(flowName, c, theory) with { Times = table.Rows.Select(r => r[0]).ToArray(), Series = series };
    }

    /// <summary>
    /// The law, asymptotic rate and prefactor, tolerances and their reasons, and the threshold (½ log c) for a flow on c
    /// classes, with no curves yet: gradient flow ℓ_k ≈ (c − 1)/(c π_k t), sign flow ℓ_k ≈ (c − 1)e^(−2t) where
    /// <paramref name="theory"/> holds; any other flow is fitted as a power law (sign flow as an exponential) without a verdict.
    /// </summary>
    public static RateRequest Base(string flowName, int c, bool theory)
    {
        bool sign = theory && flowName == "sign", gradient = theory && flowName == "gradient";
        string reason = theory
            ? "the closed form is exact here and the prediction is its own slope over the same window, so only solver error separates them; a wrong law misses by ≥ 0.5"
            : $"no closed form for the {flowName} flow on this problem (one exists for gradient and exact sign flow on the one-hot model from W = 0): fitted rates only";
        return new RateRequest($"{flowName} flow", flowName == "sign" ? DecayLaw.Exponential : DecayLaw.PowerLaw, [], [],
            gradient ? -1 : sign ? -2 : double.NaN, gradient ? _ => (c - 1.0) / c : sign ? _ => c - 1.0 : null,
            Tolerance, reason, 0.5 * Math.Log(c), gradient ? -1 : sign ? 0 : null, ThresholdTolerance,
            "t_k = K(c, ℓ*)/π_k exactly under gradient flow (slope −1) and t = ½ log((c − 1)/expm1(ℓ*)) for every class under sign flow (slope 0); the crossing is interpolated log-linearly between saved times");
    }

    /// <summary>rates.json: the request's law, window rule, tolerances and reasons, one entry per curve, the threshold slope and the verdict.</summary>
    public static Dictionary<string, object?> Json(RateReport r) => new()
    {
        ["what"] = r.Request.What,
        ["law"] = r.Request.Law == DecayLaw.PowerLaw ? "power law: slope of log loss against log t" : "exponential: slope of log loss against t",
        ["window"] = r.Request.Law == DecayLaw.PowerLaw ? "last decade [T/10, T] of the curve's points with loss > 1e-12" : "last half [T/2, T] of the curve's points with loss > 1e-12",
        ["asymptotic_rate"] = r.Request.AsymptoticRate,
        ["tolerance"] = r.Request.Tolerance, ["prefactor_relative_tolerance"] = r.Request.PrefactorTolerance, ["tolerance_reason"] = r.Request.ToleranceReason,
        ["curves"] = r.Rows.Select(w => new Dictionary<string, object?>
        {
            ["name"] = w.Name, ["frequency"] = w.Frequency, ["window"] = new[] { w.From, w.To }, ["points"] = w.Points,
            ["predicted_rate"] = w.Predicted, ["asymptotic_rate"] = w.Asymptotic, ["fitted_rate"] = w.Fitted,
            ["predicted_prefactor"] = w.PrefactorPredicted, ["asymptotic_prefactor"] = w.PrefactorAsymptotic, ["fitted_prefactor"] = w.PrefactorFitted,
            ["verdict"] = Verdict(w.Pass),
        }).ToList(),
        ["time_to_threshold"] = new Dictionary<string, object?>
        {
            ["threshold"] = r.Threshold.Threshold, ["quantity"] = "slope of log(time to reach the threshold) against log frequency",
            ["reached"] = r.Threshold.Reached, ["not_reached"] = r.Threshold.NotReached, ["predicted_slope"] = r.Threshold.Predicted,
            ["fitted_slope"] = r.Threshold.Fitted, ["tolerance"] = r.Request.ThresholdTolerance, ["tolerance_reason"] = r.Request.ThresholdReason,
            ["verdict"] = Verdict(r.Threshold.Pass),
        },
        ["verdict"] = Verdict(r.Pass),
    };

    /// <summary>"pass", "FAIL", or "no prediction" where the theory gives none.</summary>
    public static string Verdict(bool? pass) => pass switch { true => "pass", false => "FAIL", null => "no prediction" };

    /// <summary>The lines a command prints: one per curve (at most <paramref name="max"/>, the frequent, middle and rare ones first), the threshold line, the verdict.</summary>
    public static IEnumerable<string> Lines(RateReport r, int max = 8)
    {
        bool power = r.Request.Law == DecayLaw.PowerLaw;
        string unit = power ? "exponent of t" : "rate r in e^(r t)";
        yield return $"rates of the {r.Request.What} ({unit}; window {(power ? "[T/10, T]" : "[T/2, T]")} per curve; tolerance ±{r.Request.Tolerance} on the rate, {r.Request.PrefactorTolerance:P0} on the prefactor):";
        var shown = r.Rows.Count <= max ? r.Rows : Enumerable.Range(0, max).Select(i => r.Rows[(int)Math.Round((double)i * (r.Rows.Count - 1) / (max - 1))]).Distinct().ToList();
        foreach (var w in shown)
            yield return $"  {w.Name} (π = {w.Frequency:G3}), t ∈ [{Short(w.From)}, {Short(w.To)}]: fitted {w.Fitted:F4}" +
                (w.Predicted is double p ? $", predicted {p:F4} (asymptotic {w.Asymptotic:G3}), prefactor {w.PrefactorFitted:G4} vs {w.PrefactorPredicted:G4}: {Verdict(w.Pass)}" : ": no prediction");
        if (r.Rows.Count > shown.Count) yield return $"  … {r.Rows.Count - shown.Count} more in rates.json; {r.Rows.Count(w => w.Pass == false)} of {r.Rows.Count} fail";
        var th = r.Threshold;
        yield return $"time to loss {th.Threshold:G3} against π ({th.Reached} of {r.Rows.Count} reached it): slope {th.Fitted:F4}" +
            (th.Predicted is double s ? $", predicted {s:G3} ± {r.Request.ThresholdTolerance}: {Verdict(th.Pass)}" : ": no prediction");
        yield return $"verdict: {Verdict(r.Pass)}" + (r.Pass == null ? $" ({r.Request.ToleranceReason})" : "");
    }

    /// <summary>A time for a label: 4 significant digits, or 1.5e+06-style beyond 1e4 and below 1e-3.</summary>
    public static string Short(double v) => Math.Abs(v) >= 1e4 || (v != 0 && Math.Abs(v) < 1e-3)
        ? v.ToString("0.##e+0", System.Globalization.CultureInfo.InvariantCulture) : v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Evaluates the request, writes DIR/rates.json atomically and returns the report.</summary>
    public static RateReport Write(string dir, RateRequest q)
    {
        var report = FlowRates.Evaluate(q);
        JsonOut.Write(Path.Combine(dir, "rates.json"), Json(report));
        return report;
    }
}
