using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Analytic.Tests;

/// <summary>The problem catalog's sizes, defaults and readers agree with what its factories generate.</summary>
public class ProblemCatalogTests
{
    public static TheoryData<ProblemOptions> Settings() =>
    [
        new() { Name = "ht-random", M = 3 }, new() { Name = "ht-random", M = 5, Inputs = "gaussian", RotateSeed = 2 },
        new() { Name = "ht-cube" }, new() { Name = "ht-cube", Samples = 300, Classes = 7 },
        new() { Name = "ht-identity", K = 0 }, new() { Name = "ht-identity", K = 2 },
        new() { Name = "zipf" }, new() { Name = "zipf", Classes = 9, Samples = 50, Dimension = 3, ZipfExponent = 1.5 },
        new() { Name = "one-hot" }, new() { Name = "one-hot", Classes = 4 },
        new() { Name = "bigram" }, new() { Name = "bigram", Vocab = 5 },
    ];

    [Theory, MemberData(nameof(Settings))]
    public void Sizes_from_the_options_are_those_of_the_generated_problem(ProblemOptions o)
    {
        var p = ProblemCatalog.Create(o);
        Assert.Equal(((long)p.Data.N, (long)p.Data.D, (long)p.Data.C), ProblemCatalog.Sizes(o));
        Assert.Equal(o.Name, p.Name);
        Assert.Equal(ProblemCatalog.Find(o.Name).Loss, p.Loss);
        double bytes = ProblemCatalog.Find(o.Name).MemoryBytes(o)!.Value;
        Assert.True(bytes >= 8.0 * p.Data.X.Length, $"{o.Name}: the estimate {bytes} B is less than X alone");
    }

    [Fact]
    public void Every_catalog_default_is_the_one_the_factory_uses()
    {
        // A problem generated from empty options equals the one generated with every default written out.
        foreach (var desc in ProblemCatalog.All)
        {
            var written = new ProblemOptions { Name = desc.Name };
            foreach (var q in desc.Parameters)
                written = q.Option switch
                {
                    "--m" => written with { M = int.Parse(q.Default) },
                    "--samples" => written with { Samples = int.Parse(q.Default) },
                    "--classes" => written with { Classes = int.Parse(q.Default) },
                    "--dim" => written with { Dimension = int.Parse(q.Default) },
                    "--vocab" => written with { Vocab = int.Parse(q.Default) },
                    "--zipf-exponent" => written with { ZipfExponent = double.Parse(q.Default, System.Globalization.CultureInfo.InvariantCulture) },
                    "--k" => written with { K = int.Parse(q.Default) },
                    "--inputs" => written with { Inputs = q.Default },
                    "--seed" => written with { Seed = long.Parse(q.Default) },
                    "--rotate-seed" => q.Default == "none" ? written : throw new InvalidOperationException(q.Default),
                    _ => throw new InvalidOperationException($"{desc.Name}: unknown option {q.Option}"),
                };
            var a = ProblemCatalog.Create(new ProblemOptions { Name = desc.Name });
            var b = ProblemCatalog.Create(written);
            Assert.Equal(a.Data.X, b.Data.X);
            Assert.Equal(a.Data.Labels, b.Data.Labels);
        }
    }

    [Fact]
    public void Unknown_names_are_refused_with_the_list_and_a_suggestion()
    {
        var e = Assert.Throws<ArgumentException>(() => ProblemCatalog.Find("ht-randon"));
        Assert.Contains("did you mean 'ht-random'", e.Message);
        Assert.Contains(string.Join(", ", ProblemCatalog.Names), e.Message);
        Assert.Null(ProblemCatalog.Sizes(new ProblemOptions { Name = "ht-random", M = 12 }));
    }

    [Fact]
    public void Readers_of_an_option_are_the_problems_whose_parameters_name_it()
    {
        Assert.Equal(["ht-random"], ProblemCatalog.Readers("--m"));
        Assert.Equal(["ht-cube", "zipf", "one-hot"], ProblemCatalog.Readers("--classes"));
        Assert.Equal(["ht-random", "ht-cube", "zipf", "bigram"], ProblemCatalog.Readers("--seed"));
        Assert.Contains("ht-cube: sample count n (default 5000", ProblemCatalog.Help("--samples"));
        Assert.Contains("zipf: sample count n (default 2000", ProblemCatalog.Help("--samples"));
    }
}
