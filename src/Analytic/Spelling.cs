namespace HeavyTail.Analytic;

/// <summary>"Did you mean" suggestions for mistyped names (commands, options, optimizers, problems, …).</summary>
public static class Spelling
{
    /// <summary>The candidate closest to <paramref name="typed"/>, when it is close enough to be a typo; else null.</summary>
    /// <remarks>
    /// Distance: optimal string alignment (Levenshtein plus adjacent transpositions, so "trian" → "train" is 1), case-insensitive.
    /// Close enough: at most max(1, ⌊len/3⌋) edits for the shorter of the two names, capped at 3, or a unique candidate that
    /// starts with what was typed (at least 2 characters).
    /// </remarks>
    public static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        var list = candidates.Distinct().ToList();
        string t = typed.ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in list)
        {
            int dist = Distance(t, c.ToLowerInvariant());
            if (dist < bestDistance) { best = c; bestDistance = dist; }
        }
        if (list.Contains(typed)) return null; // an exact name is no typo (a difference in case is)
        if (best != null && bestDistance <= Math.Min(3, Math.Max(1, Math.Min(t.Length, best.Length) / 3))) return best;
        var prefixed = list.Where(c => t.Length >= 2 && c.StartsWith(t, StringComparison.OrdinalIgnoreCase)).ToList();
        return prefixed.Count == 1 ? prefixed[0] : null;
    }

    /// <summary>" (did you mean 'x'?)" when a candidate is near, else "".</summary>
    public static string DidYouMean(string typed, IEnumerable<string> candidates) =>
        Nearest(typed, candidates) is { } n ? $" (did you mean '{n}'?)" : "";

    /// <summary>Optimal string alignment distance.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
