namespace HeavyTail.Experiments.Runs;

/// <summary>
/// Which data options each source of data reads (issue 25 D: options accepted and ignored). An option given on the
/// command line that the chosen source does not read is refused in one line instead of being silently dropped, e.g.
/// `--loss squared` with a generated problem (they carry their own loss) or `--k` with ht-random.
/// </summary>
public static class ProblemOptionUse
{
    /// <summary>The generator options and the problems that read them (from <see cref="Analytic.Data.ProblemCatalog"/>).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> GeneratorOptions =
        Analytic.Data.ProblemCatalog.Options.ToDictionary(o => o, o => Analytic.Data.ProblemCatalog.Readers(o).ToArray());

    /// <summary>The options read only with the user's arrays (--x/--y).</summary>
    public static readonly string[] ArrayOptions = ["--targets", "--loss"];

    /// <summary>
    /// Throws <see cref="UserError"/> for the first of <paramref name="given"/> (options named on the command line) that
    /// <paramref name="problem"/> (null: the user's --x/--y arrays) does not read.
    /// </summary>
    public static void Check(string? problem, IEnumerable<string> given)
    {
        foreach (var option in given)
        {
            if (GeneratorOptions.TryGetValue(option, out var readers))
            {
                if (problem == null)
                    throw new UserError($"{option} sets up a generated problem ({string.Join(", ", readers)}) and does nothing with --x/--y data; leave it out.");
                if (!readers.Contains(problem) && Analytic.Data.ProblemCatalog.Names.Contains(problem))
                    throw new UserError($"{option} does nothing for --problem {problem} (it is read by {string.Join(", ", readers)}); leave it out.");
            }
            else if (problem != null && ArrayOptions.Contains(option))
                throw new UserError(option == "--loss"
                    ? $"--loss applies to your own --x/--y data; --problem {problem} has its own loss (softmax cross-entropy); leave out --loss (for squared loss give --x, --y and --targets or --loss squared)."
                    : $"--targets applies to your own --x/--y data, not to --problem {problem}; leave it out.");
        }
    }
}
