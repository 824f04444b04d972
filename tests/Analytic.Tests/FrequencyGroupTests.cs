using HeavyTail.Tests.Shared;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HeavyTail.Analytic.Data;

namespace HeavyTail.Analytic.Tests;

public class FrequencyGroupTests
{
    public static class CountArbitraries
    {
        public static Arbitrary<int[]> Counts() =>
            Arb.From(Gen.Choose(1, 60).SelectMany(c => Gen.ArrayOf(Gen.Choose(0, 500), c)).Where(a => a.Sum() > 0));
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(CountArbitraries)], MaxTest = 300, Pinned = "(101,103)")]
    public bool Groups_partition_classes_with_masses_within_one_class_of_1_over_K(int[] counts)
    {
        int total = counts.Sum(), maxCount = counts.Max();
        for (int k = 1; k <= 12; k++)
        {
            FrequencyGroups g;
            try { g = FrequencyGroups.FromCounts(counts, k); }
            catch (ArgumentException) { continue; } // K too large for this distribution: the error is the documented behaviour
            if (g.GroupOf.Length != counts.Length || g.GroupOf.Any(x => x < 0 || x >= k)) return false;
            if (Enumerable.Range(0, k).Sum(i => g.ClassesIn(i).Length) != counts.Length) return false;
            for (int i = 0; i < k; i++)
            {
                if (g.Mass[i] <= 0) return false;
                if (Math.Abs(g.Mass[i] - (double)total / k) > maxCount) return false;
            }
            // frequent classes come first
            var order = Enumerable.Range(0, counts.Length).OrderByDescending(i => counts[i]).ThenBy(i => i).ToArray();
            for (int i = 1; i < order.Length; i++) if (g.GroupOf[order[i]] < g.GroupOf[order[i - 1]]) return false;
        }
        return true;
    }

    [Fact]
    public void Too_many_groups_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => FrequencyGroups.FromCounts([100, 1, 1], 3));
        Assert.Contains("too many", e.Message);
    }

    [Fact]
    public void Ten_groups_on_zipf_data_hold_about_ten_percent_each()
    {
        var counts = Problems.LargestRemainder(Problems.ZipfProbabilities(1000, 1.0), 100000);
        var g = FrequencyGroups.FromCounts(counts, 10);
        Assert.All(g.Mass, m => Assert.InRange(m / 100000, 0.1 - counts.Max() / 100000.0, 0.1 + counts.Max() / 100000.0));
    }
}
