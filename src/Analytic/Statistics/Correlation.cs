namespace HeavyTail.Analytic.Statistics;

/// <summary>Pearson and Spearman correlation, skipping pairs where either value is not finite.</summary>
public static class Correlation
{
    /// <summary>r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²); NaN when fewer than 2 pairs or a variance is 0.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var (a, b) = FinitePairs(x, y);
        if (a.Length < 2) return double.NaN;
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db; saa += da * da; sbb += db * db;
        }
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>Pearson correlation of the ranks (ties get their average rank).</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var (a, b) = FinitePairs(x, y);
        return Pearson(Ranks(a), Ranks(b));
    }

    /// <summary>The ranks 1..n of the values (ascending), ties sharing their average rank.</summary>
    public static double[] Ranks(IReadOnlyList<double> x)
    {
        var order = Enumerable.Range(0, x.Count).OrderBy(i => x[i]).ToArray();
        var r = new double[x.Count];
        for (int s = 0; s < order.Length;)
        {
            int e = s;
            while (e + 1 < order.Length && x[order[e + 1]] == x[order[s]]) e++;
            double rank = (s + e) / 2.0 + 1;
            for (int t = s; t <= e; t++) r[order[t]] = rank;
            s = e + 1;
        }
        return r;
    }

    private static (double[], double[]) FinitePairs(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"x has {x.Count} values and y has {y.Count}; they must match.");
        var idx = Enumerable.Range(0, x.Count).Where(i => double.IsFinite(x[i]) && double.IsFinite(y[i])).ToArray();
        return (idx.Select(i => x[i]).ToArray(), idx.Select(i => y[i]).ToArray());
    }
}
