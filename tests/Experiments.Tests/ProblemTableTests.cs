using HeavyTail.Analytic.Data;

namespace HeavyTail.Experiments.Tests;

/// <summary>The documentation's problem table (docs/articles/conventions.md) is the <see cref="ProblemCatalog"/>'s: one row per problem, its options with their defaults and ranges.</summary>
public class ProblemTableTests
{
    [Fact]
    public void The_conventions_table_lists_every_catalog_problem_with_its_options_defaults_and_ranges()
    {
        var rows = File.ReadAllLines(CliHarness.RepoFile("docs/articles/conventions.md"))
            .Where(l => l.StartsWith("| `")).ToDictionary(l => l[3..].Split(' ', '`')[0], l => l.Split(" | ")[^1]);
        Assert.Equal(ProblemCatalog.Names.Order(), rows.Keys.Where(ProblemCatalog.Names.Contains).Order());
        foreach (var p in ProblemCatalog.All)
        {
            string expected = string.Join(", ", p.Parameters.Select(q => $"`{q.Option} {q.Default}` ({q.Range})")) + " |";
            Assert.True(rows[p.Name] == expected, $"{p.Name}: the table says\n  {rows[p.Name]}\nthe catalog says\n  {expected}");
        }
    }
}
