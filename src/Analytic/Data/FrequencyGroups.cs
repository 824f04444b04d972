namespace HeavyTail.Analytic.Data;

/// <summary>
/// A partition of the classes into K groups of about equal sample mass, ordered from frequent to rare
/// (group 0 holds the most frequent classes), as in the paper's "10 groups each with ≈10% of the data".
/// </summary>
/// <remarks>
/// Rule (<see cref="FromCounts"/>): sort classes by mass descending, ties by class index; let F(k) be the
/// mass of the classes before class k in that order and M the total; class k goes to group ⌊K·F(k)/M⌋.
/// Each group's mass then differs from M/K by less than the largest class in it. When a class's mass
/// spans a whole 1/K slice the next group would be empty, which is an error (choose a smaller K).
/// </remarks>
public sealed class FrequencyGroups
{
    /// <summary>Group index of each class.</summary>
    public int[] GroupOf { get; }
    /// <summary>The number of groups K.</summary>
    public int K { get; }
    /// <summary>Sample mass (count or weight) of each group.</summary>
    public double[] Mass { get; }

    private FrequencyGroups(int[] groupOf, int k, double[] mass) { GroupOf = groupOf; K = k; Mass = mass; }

    /// <summary>The classes of group <paramref name="g"/>, in class-index order.</summary>
    public int[] ClassesIn(int g) => Enumerable.Range(0, GroupOf.Length).Where(k => GroupOf[k] == g).ToArray();

    /// <summary>The groups of classes with the given sample counts (the mass of a class is its count).</summary>
    public static FrequencyGroups FromCounts(IReadOnlyList<int> counts, int k) =>
        FromMass(counts.Select(x => (double)x).ToArray(), k);

    /// <summary>The groups of classes with the given masses (counts or summed sample weights): class k goes to group ⌊K·F(k)/M⌋, F(k) the mass before k in descending order.</summary>
    public static FrequencyGroups FromMass(IReadOnlyList<double> mass, int k)
    {
        int c = mass.Count;
        if (k < 1) throw new ArgumentException($"groups = {k} must be at least 1.", nameof(k));
        double total = mass.Sum();
        if (!(total > 0)) throw new ArgumentException("the classes have no samples; cannot form frequency groups.", nameof(mass));
        var order = Enumerable.Range(0, c).OrderByDescending(i => mass[i]).ThenBy(i => i).ToArray();
        var groupOf = new int[c];
        var groupMass = new double[k];
        double before = 0;
        foreach (int cls in order)
        {
            int g = Math.Min(k - 1, (int)Math.Floor(k * before / total));
            groupOf[cls] = g;
            groupMass[g] += mass[cls];
            before += mass[cls];
        }
        for (int g = 0; g < k; g++)
            if (groupMass[g] == 0)
                throw new ArgumentException(
                    $"groups = {k} is too many: group {g} would be empty because a single class holds more than 1/{k} of the samples; use fewer groups.", nameof(k));
        return new FrequencyGroups(groupOf, k, groupMass);
    }

    /// <summary>Groups with the largest K ≤ <paramref name="maxK"/> for which no group is empty (the default 10 groups where possible).</summary>
    public static FrequencyGroups UpTo(IReadOnlyList<double> mass, int maxK = 10)
    {
        for (int k = maxK; k > 1; k--)
        {
            try { return FromMass(mass, k); }
            catch (ArgumentException) { }
        }
        return FromMass(mass, 1);
    }

    /// <summary>Groups given by an explicit class → group map (a problem's own groups, e.g. HT-Random's).</summary>
    public static FrequencyGroups FromAssignment(int[] groupOf, IReadOnlyList<double> mass)
    {
        int k = groupOf.Max() + 1;
        var gm = new double[k];
        for (int i = 0; i < groupOf.Length; i++) gm[groupOf[i]] += mass[i];
        return new FrequencyGroups((int[])groupOf.Clone(), k, gm);
    }
}
