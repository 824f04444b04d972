using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>The grid commands' own argument grammars: --lrs (a list of step sizes) and --shard K/N.</summary>
public static class GridArguments
{
    /// <summary>--lrs: positive step sizes; a repeated one is trained once, with a note on stderr.</summary>
    public static double[]? Lrs(CliContext ctx, string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var lrs = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
            Numbers.TryParseDouble(s, out var v) && v > 0 && double.IsFinite(v) ? v : throw new UserError($"--lrs: '{s}' is not a positive step size.")).ToArray();
        if (lrs.Distinct().Count() == lrs.Length) return lrs;
        var twice = lrs.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => JsonOut.Number(g.Key));
        ctx.Err.WriteLine($"note: --lrs repeats {string.Join(", ", twice)}; each step size is trained once.");
        return lrs.Distinct().ToArray();
    }

    /// <summary>K/N with 0 ≤ K &lt; N; anything else is one <see cref="UserError"/> line.</summary>
    public static (int K, int N)? Shard(string? text)
    {
        if (text == null) return null;
        var parts = text.Split('/');
        if (parts.Length == 2 && Numbers.TryParseInt(parts[0], out int k) && Numbers.TryParseInt(parts[1], out int n) && n >= 1 && k >= 0 && k < n) return (k, n);
        throw new UserError($"--shard '{text}' must be K/N with 0 ≤ K < N, e.g. 0/4.");
    }
}
