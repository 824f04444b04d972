using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Analytic.Data;

/// <summary>One generator option a problem reads: its command-line name, its default for that problem and its range.</summary>
/// <param name="Option">the option as the CLI spells it (--m, --samples, …); the field of <see cref="ProblemOptions"/> it sets.</param>
/// <param name="Default">the value used when the option is not given, as text ("5000", "uniform", "none").</param>
/// <param name="Range">the values the generator accepts, as text ("2 ≤ m ≤ 11").</param>
/// <param name="Description">what the option means for this problem.</param>
public sealed record ProblemParameter(string Option, string Default, string Range, string Description);

/// <summary>A generated problem: its name, what it is, the options it reads, its factory and its sizes.</summary>
/// <param name="Name">the name <c>--problem</c> takes.</param>
/// <param name="Description">one line: what the problem is and where it comes from.</param>
/// <param name="Loss">the loss the problem carries.</param>
/// <param name="Parameters">the generator options it reads, with their defaults and ranges.</param>
/// <param name="Factory">generates the problem from the options (those it does not read are ignored here; the CLI refuses them).</param>
/// <param name="SizesOf">(n, d, c) from the options alone, without generating; null when the options are out of range.</param>
public sealed record ProblemDescriptor(string Name, string Description, LossKind Loss, IReadOnlyList<ProblemParameter> Parameters,
    Func<ProblemOptions, Problem> Factory, Func<ProblemOptions, (long N, long D, long C)?> SizesOf)
{
    /// <summary>Whether the problem reads the generator option <paramref name="option"/> (e.g. "--m").</summary>
    public bool Reads(string option) => Parameters.Any(p => p.Option == option);

    /// <summary>Generates the problem.</summary>
    public Problem Create(ProblemOptions o) => Factory(o);

    /// <summary>
    /// Bytes a linear-model run on this problem holds (<see cref="ProblemCatalog.ModelBytes"/> at its sizes); null when the
    /// options are out of range (the generator then says why).
    /// </summary>
    public double? MemoryBytes(ProblemOptions o, Precision precision = Precision.Float64) =>
        SizesOf(o) is var (n, d, c) ? ProblemCatalog.ModelBytes(n, d, c, precision) : null;
}

/// <summary>
/// The generated problems, listed as the optimizer catalog lists the optimizers: name, parameters with defaults and
/// ranges, description, factory and memory estimate. The CLI's options, the memory check, the dry run and the documentation read it.
/// </summary>
public static class ProblemCatalog
{
    private static ProblemParameter Seed(string what) => new("--seed", "0", "any integer", $"seed of the {what}");
    private static ProblemParameter Zipf(string what) => new("--zipf-exponent", "1", "finite, ≥ 0", $"a in {what} ∝ (k+1)^(−a)");

    /// <summary>Every generated problem, in the order the documentation lists them.</summary>
    public static readonly IReadOnlyList<ProblemDescriptor> All =
    [
        new("ht-random", "HT-Random (the paper's Figure 2): group j = 0..m−1 holds 2^j classes of 2^(m−j) samples; inputs independent of the labels",
            LossKind.CrossEntropy,
            [
                new("--m", "7", $"{Problems.MinM} ≤ m ≤ {Problems.MaxM}", "size: c = 2^m − 1, n = m·2^m, d = (m+1)·2^m"),
                new("--inputs", "uniform", "uniform or gaussian", "inputs U[0,1)^d (the paper's code) or N(0, I)"),
                new("--rotate-seed", "none", "any integer", "rotate the inputs by a seeded random orthogonal Q (X → XQ; Xie et al., arXiv 2410.08198)"),
                Seed("inputs"),
            ],
            o => Problems.HtRandom(o.M, o.Inputs, o.Seed, o.RotateSeed),
            o => o.M < Problems.MinM || o.M > Problems.MaxM ? null : ((long)o.M << o.M, (long)(o.M + 1) << o.M, (1L << o.M) - 1)),
        new("ht-cube", "HT-Cube: p(class i) ∝ 1/(e + i), x ~ N(μ_y, I) with μ_y a random corner of {0,1}^50 (d = 50)",
            LossKind.CrossEntropy,
            [
                new("--samples", "5000", "≥ 1", "sample count n"),
                new("--classes", "64", "2 ≤ c ≤ n", "class count c"),
                Seed("class means and inputs"),
            ],
            o => Problems.HtCube(o.Samples ?? 5000, o.Classes ?? 64, o.Seed),
            o => (o.Samples ?? 5000, 50, o.Classes ?? 64)),
        new("ht-identity", "HT-Identity (squared loss): 10^j classes with 10^(k−j) samples each, one-hot inputs and targets, W = I solves it",
            LossKind.Squared,
            [new("--k", "3", "0 ≤ k ≤ 4", "the largest class has 10^k samples; k + 1 groups")],
            o => Problems.HtIdentity(o.K),
            o =>
            {
                if (o.K is < 0 or > 4) return null;
                long c = Enumerable.Range(0, o.K + 1).Sum(j => (long)Math.Pow(10, j));
                return ((o.K + 1) * (long)Math.Pow(10, o.K), c, c);
            }),
        new("zipf", "Zipf: c classes with p_k ∝ (k+1)^(−a), Gaussian inputs N(0, I_d)",
            LossKind.CrossEntropy,
            [
                new("--classes", "100", "2 ≤ c ≤ n", "class count c"),
                new("--samples", "2000", "≥ 1", "sample count n"),
                new("--dim", "32", "≥ 1", "input dimension d"),
                Zipf("p_k"),
                Seed("inputs"),
            ],
            o => Problems.Zipf(o.Classes ?? 100, o.Samples ?? 2000, o.Dimension ?? 32, o.ZipfExponent, o.Seed),
            o => (o.Samples ?? 2000, o.Dimension ?? 32, o.Classes ?? 100)),
        new("one-hot", "The theory model (population version): π_k ∝ (k+1)^(−a), x = e_k, loss Σ_k π_k ℓ_k(W) exactly",
            LossKind.CrossEntropy,
            [new("--classes", "50", "≥ 2", "class count c (= n = d)"), Zipf("π_k")],
            o => Problems.OneHot(o.Classes ?? 50, o.ZipfExponent),
            o => (o.Classes ?? 50, o.Classes ?? 50, o.Classes ?? 50)),
        new("bigram", "The linear bigram model of Kunstner & Bach 2025 (arXiv 2505.19227), population version, squared loss",
            LossKind.Squared,
            [new("--vocab", "64", "≥ 2", "vocabulary size d (W is d×d)"), Zipf("π_i and π_{j|i}"), Seed("conditionals' permutations")],
            o => Problems.Bigram(o.Vocab ?? 64, o.ZipfExponent, o.Seed),
            o => (o.Vocab ?? 64, o.Vocab ?? 64, o.Vocab ?? 64)),
    ];

    /// <summary>The names <c>--problem</c> accepts, in catalog order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(p => p.Name).ToArray();

    /// <summary>Every generator option any problem reads, in first-appearance order.</summary>
    public static IReadOnlyList<string> Options { get; } = All.SelectMany(p => p.Parameters.Select(q => q.Option)).Distinct().ToArray();

    /// <summary>The problem named <paramref name="name"/>; an unknown name is an <see cref="ArgumentException"/> that lists the names.</summary>
    public static ProblemDescriptor Find(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown problem '{name}'{Spelling.DidYouMean(name, Names)}; choose one of: {string.Join(", ", Names)}.");

    /// <summary>Generates the problem <see cref="ProblemOptions.Name"/>.</summary>
    public static Problem Create(ProblemOptions o) => Find(o.Name).Create(o);

    /// <summary>(n, d, c) of the problem from its options alone; null for an unknown name or options out of range.</summary>
    public static (long N, long D, long C)? Sizes(ProblemOptions o) => All.FirstOrDefault(p => p.Name == o.Name)?.SizesOf(o);

    /// <summary>The problems that read the generator option <paramref name="option"/>.</summary>
    public static IReadOnlyList<string> Readers(string option) => All.Where(p => p.Reads(option)).Select(p => p.Name).ToArray();

    /// <summary>The option's description for a command's help: what it means and its default per problem.</summary>
    public static string Help(string option) =>
        string.Join("; ", All.SelectMany(p => p.Parameters.Where(q => q.Option == option).Select(q => $"{p.Name}: {q.Description} (default {q.Default}, {q.Range})")));

    /// <summary>
    /// Bytes a linear-model run on n×d inputs with c classes holds.
    /// </summary>
    /// <remarks>
    /// All float64: X (n·d), the logits/residuals and their per-row copy (2·n·c), W, ∇L and two optimizer states (4·d·c),
    /// labels, weights and per-sample losses (3·n); float32 adds X rounded to float32 and, on the managed backend, X and Xᵀ
    /// packed from it for the GEMMs (12·n·d while packing, 8 after; its other arrays are half the float64 ones counted here).
    /// </remarks>
    public static double ModelBytes(long n, long d, long c, Precision precision = Precision.Float64) =>
        8.0 * ((double)n * d + 2.0 * n * c + 4.0 * d * c + 3.0 * n) + (precision == Precision.Float32 ? 12.0 * n * d : 0);
}
