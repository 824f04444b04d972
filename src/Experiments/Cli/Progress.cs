using Spectre.Console;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>A Spectre.Console progress bar on a terminal, plain lines (every 10 %) otherwise, nothing with --quiet.</summary>
public static class ProgressDisplay
{
    /// <summary>Progress shows as a live display: stdout is an interactive ANSI terminal and --quiet is off.</summary>
    public static bool IsLive(CliContext ctx) => !ctx.Quiet && ctx.Console.Profile.Capabilities.Interactive && ctx.Console.Profile.Capabilities.Ansi;

    /// <summary>
    /// Runs <paramref name="work"/> inside a Spectre.Console progress display (description, bar, percentage, remaining and
    /// elapsed time); the work adds and updates its tasks. Call only when <see cref="IsLive"/>.
    /// </summary>
    public static T Live<T>(CliContext ctx, Func<ProgressContext, T> work)
    {
        T result = default!;
        ctx.Console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .Start(p => result = work(p));
        return result;
    }

    public static T Run<T>(CliContext ctx, string description, int total, Func<Action<int>, T> work)
    {
        if (ctx.Quiet || total <= 0) return work(_ => { });
        if (ctx.Console.Profile.Capabilities.Interactive && ctx.Console.Profile.Capabilities.Ansi)
        {
            T result = default!;
            ctx.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
                .Start(p =>
                {
                    var task = p.AddTask(description, maxValue: total);
                    result = work(done => task.Value = done);
                });
            return result;
        }
        int lastDecile = 0;
        return work(done =>
        {
            int decile = (int)(10L * done / total);
            if (decile > lastDecile) { lastDecile = decile; ctx.Out.WriteLine($"{description}: {done}/{total}"); }
        });
    }
}
