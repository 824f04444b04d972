using System.Diagnostics;

namespace HeavyTail.Ode.Training;

/// <summary>One logged row: the loss and per-group losses at W after <c>Step</c> updates.</summary>
public sealed record TrainingRow(int Step, double Loss, double[] GroupLosses);

/// <summary>The outcome of one run: its logged rows, the final W, whether it diverged, the steps taken and the wall time.</summary>
public sealed record TrainingResult(IReadOnlyList<TrainingRow> Rows, double[] W, bool Diverged, int StepsDone, double WallSeconds)
{
    /// <summary>"diverged" or "finished", as run.json records it.</summary>
    public string Status => Diverged ? "diverged" : "finished";
}

/// <summary>
/// Which rows a run logs: every <see cref="LogEvery"/> steps and the last (row t = the state after t updates, row 0 the
/// initial point), or exactly the steps in <see cref="At"/> (then the run stops at the largest of them).
/// </summary>
public sealed class TrainingSchedule
{
    private readonly HashSet<int>? _at;

    /// <summary>Logs every <paramref name="logEvery"/> steps (and the last) of a run of <paramref name="steps"/> steps.</summary>
    public TrainingSchedule(int steps, int logEvery = 1)
    {
        if (steps < 0) throw new ArgumentException($"steps = {steps} must be ≥ 0.", nameof(steps));
        if (logEvery < 1) throw new ArgumentException($"log-every = {logEvery} must be ≥ 1.", nameof(logEvery));
        Steps = steps; LogEvery = logEvery;
    }

    private TrainingSchedule(IReadOnlyList<int> at)
    {
        if (at.Count == 0 || at.Any(s => s < 0)) throw new ArgumentException("logged steps must be a non-empty list of steps ≥ 0.", nameof(at));
        _at = [.. at];
        Steps = at.Max(); LogEvery = 1; At = at;
    }

    /// <summary>Logs exactly the given steps and stops at the largest.</summary>
    public static TrainingSchedule AtSteps(IReadOnlyList<int> steps) => new(steps);

    /// <summary>The number of updates; the run stops after it.</summary>
    public int Steps { get; }
    /// <summary>The logging period in steps (1 with <see cref="At"/>).</summary>
    public int LogEvery { get; }
    /// <summary>The exact steps logged, or null for every <see cref="LogEvery"/> steps.</summary>
    public IReadOnlyList<int>? At { get; }

    /// <summary>True when row <paramref name="t"/> is logged: t in <see cref="At"/>, or t a multiple of <see cref="LogEvery"/>, or the last step.</summary>
    public bool IsLogged(int t) => _at?.Contains(t) ?? (t % LogEvery == 0 || t == Steps);
}

/// <summary>
/// Something trained by <see cref="TrainingLoop"/>: one run, R runs side by side, runs resident on a device, a TorchSharp
/// network. The loop alternates <see cref="Evaluate"/> (losses at the current iterates) and <see cref="Update"/> (one step
/// of each active run from the evaluation just made).
/// </summary>
public interface IStepper
{
    /// <summary>The number of runs trained side by side.</summary>
    int Runs { get; }

    /// <summary>Frequency groups of the per-group losses.</summary>
    int Groups { get; }

    /// <summary>The loss of every run at its current iterate (non-finite once a run diverged).</summary>
    /// <param name="logged">the row is logged: <see cref="GroupLosses"/> must be available after this call.</param>
    /// <param name="willUpdate">an <see cref="Update"/> follows (false at the last step: no gradient is needed).</param>
    ReadOnlySpan<double> Evaluate(bool logged, bool willUpdate);

    /// <summary>Run r's per-group losses at the last logged evaluation.</summary>
    double[] GroupLosses(int run);

    /// <summary>One step of every run with <paramref name="active"/>[r], from the last evaluation.</summary>
    void Update(ReadOnlySpan<bool> active);

    /// <summary>A copy of run r's current parameters, as doubles.</summary>
    double[] Weights(int run);
}

/// <summary>Records something at each logged row of each run (per-class statistics, per-class losses, weight norms…).</summary>
public interface ITrainingObserver
{
    /// <summary>Called after row (run, step) was logged, with the stepper positioned at that iterate.</summary>
    void Observe(int run, int step, double loss, IStepper stepper);
}

/// <summary>
/// The one training loop: logging by a <see cref="TrainingSchedule"/>, divergence (a non-finite loss stops that run, its
/// row logged with NaN group losses; the other runs go on), stopping, observers, progress and cancellation, over any
/// <see cref="IStepper"/>.
/// </summary>
public static class TrainingLoop
{
    /// <summary>Trains every run of <paramref name="stepper"/> for the schedule's steps, logging rows and calling the observers at logged steps; <paramref name="progress"/> gets the step count, <paramref name="cancel"/> stops between steps. One result per run.</summary>
    public static IReadOnlyList<TrainingResult> Run(IStepper stepper, TrainingSchedule schedule, IReadOnlyList<ITrainingObserver>? observers = null,
        Action<int>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(stepper); ArgumentNullException.ThrowIfNull(schedule);
        int runs = stepper.Runs, steps = schedule.Steps;
        if (runs == 0) return [];
        var rows = Enumerable.Range(0, runs).Select(_ => new List<TrainingRow>()).ToArray();
        var done = new int[runs]; var diverged = new bool[runs]; var active = Enumerable.Repeat(true, runs).ToArray();
        var sw = Stopwatch.StartNew();
        for (int t = 0; ; t++)
        {
            cancel.ThrowIfCancellationRequested();
            bool log = schedule.IsLogged(t);
            var loss = stepper.Evaluate(log, t < steps);
            for (int r = 0; r < runs; r++)
            {
                if (!active[r]) continue;
                bool bad = !double.IsFinite(loss[r]);
                if (bad || log)
                {
                    rows[r].Add(new TrainingRow(t, loss[r], bad ? Enumerable.Repeat(double.NaN, stepper.Groups).ToArray() : stepper.GroupLosses(r)));
                    if (observers != null) foreach (var o in observers) o.Observe(r, t, loss[r], stepper);
                }
                if (bad) { diverged[r] = true; active[r] = false; done[r] = t; }
                else if (t == steps) { active[r] = false; done[r] = t; }
            }
            if (!active.Any(a => a)) break;
            stepper.Update(active);
            progress?.Invoke(t + 1);
        }
        double wall = sw.Elapsed.TotalSeconds;
        return Enumerable.Range(0, runs).Select(r => new TrainingResult(rows[r], stepper.Weights(r), diverged[r], done[r], wall / runs)).ToList();
    }

    /// <summary>One run (<see cref="IStepper.Runs"/> = 1).</summary>
    public static TrainingResult RunOne(IStepper stepper, TrainingSchedule schedule, IReadOnlyList<ITrainingObserver>? observers = null,
        Action<int>? progress = null, CancellationToken cancel = default)
    {
        if (stepper.Runs != 1) throw new ArgumentException($"RunOne needs a stepper of one run, got {stepper.Runs}.", nameof(stepper));
        return Run(stepper, schedule, observers, progress, cancel)[0];
    }
}
