namespace HeavyTail.Analytic.Data;

/// <summary>Options of the data generators; each problem reads the ones it uses.</summary>
public sealed record ProblemOptions
{
    /// <summary>The problem's name, one of <see cref="Problems.Names"/> (default ht-random).</summary>
    public string Name { get; init; } = "ht-random";
    /// <summary>HT-Random size m (c = 2^m − 1, n = m·2^m, d = (m+1)·2^m).</summary>
    public int M { get; init; } = 7;
    /// <summary>Sample count (ht-cube, zipf).</summary>
    public int? Samples { get; init; }
    /// <summary>Class count (ht-cube, zipf, one-hot).</summary>
    public int? Classes { get; init; }
    /// <summary>Input dimension (zipf).</summary>
    public int? Dimension { get; init; }
    /// <summary>Vocabulary size d of the bigram problem (W is d×d).</summary>
    public int? Vocab { get; init; }
    /// <summary>Zipf exponent a in p_k ∝ (k+1)^(−a) (zipf, one-hot, bigram).</summary>
    public double ZipfExponent { get; init; } = 1.0;
    /// <summary>ht-identity: 10^k is the largest class count.</summary>
    public int K { get; init; } = 3;
    /// <summary>ht-random inputs: uniform U[0,1) (the paper's code) or gaussian N(0, I).</summary>
    public string Inputs { get; init; } = "uniform";
    /// <summary>Seed of the generator (inputs and, where random, labels); the same seed gives the same problem on every platform.</summary>
    public long Seed { get; init; } = 0;
    /// <summary>
    /// ht-random: when set, the inputs are rotated by the seeded random orthogonal Q = <see cref="Problems.RandomOrthogonal"/>(d, seed),
    /// X → XQ (so W → QᵀW gives the same logits); null (the default) leaves them as generated.
    /// </summary>
    public long? RotateSeed { get; init; }
}

/// <summary>A generated problem: its data, loss and its own frequency groups.</summary>
public sealed record Problem(string Name, Dataset Data, LossKind Loss, FrequencyGroups Groups, IReadOnlyDictionary<string, object> Info);

/// <summary>
/// Seeded, deterministic data generators for the heavy-tailed class-imbalance problems.
/// </summary>
public static class Problems
{
    /// <summary>The problem names <see cref="Create"/> accepts (<see cref="ProblemCatalog.Names"/>).</summary>
    public static IReadOnlyList<string> Names => ProblemCatalog.Names;

    /// <summary>
    /// The accepted HT-Random sizes: m = 1 has a single class (c = 2¹ − 1), which no softmax model can learn; m = 12 has
    /// n·d = 12·2¹²·13·2¹² ≈ 2.6e9 inputs, more than one .NET array holds (2³¹ − 1).
    /// </summary>
    public const int MinM = 2, MaxM = 11;

    /// <summary>Generates the problem <see cref="ProblemOptions.Name"/> from the options it reads (<see cref="ProblemCatalog.Create"/>); an unknown name is an <see cref="ArgumentException"/> that lists the names.</summary>
    public static Problem Create(ProblemOptions o) => ProblemCatalog.Create(o);

    /// <summary>
    /// HT-Random(m): group j = 0..m−1 holds 2^j classes with 2^(m−j) samples each (2^m samples per group),
    /// c = 2^m − 1, n = m·2^m, d = (m+1)·2^m; inputs independent of the labels, U[0,1)^d (the paper's code) or N(0, I).
    /// </summary>
    /// <param name="rotateSeed">when set, X → XQ with Q = <see cref="RandomOrthogonal"/>(d, rotateSeed) (Xie et al., arXiv 2410.08198:
    /// the same problem in a rotated parameter basis, W → QᵀW).</param>
    public static Problem HtRandom(int m, string inputs = "uniform", long seed = 0, long? rotateSeed = null)
    {
        if (m < MinM || m > MaxM) throw new ArgumentException($"--m {m} is out of range; ht-random accepts {MinM} ≤ m ≤ {MaxM} (the paper's Figure 2 uses m = 11).", nameof(m));
        bool gaussian = inputs switch
        {
            "uniform" => false,
            "gaussian" => true,
            _ => throw new ArgumentException($"unknown inputs '{inputs}'; choose uniform or gaussian.", nameof(inputs)),
        };
        int c = (1 << m) - 1, n = m << m, d = (m + 1) << m;
        var labels = HtRandomLabels(m);
        var groupOf = new int[c];
        for (int j = 0, cls = 0; j < m; j++)
            for (int q = 0; q < (1 << j); q++) groupOf[cls++] = j;
        var rng = new SeededRandom(seed);
        var x = new double[(long)n * d > int.MaxValue ? throw new ArgumentException($"m = {m} is too large for one array (n·d = {(long)n * d}).") : n * d];
        if (gaussian) rng.FillGaussian(x); else rng.FillUniform(x);
        if (rotateSeed is long rs) x = RotateRows(x, n, d, RandomOrthogonal(d, rs));
        var data = new Dataset(x, labels, n, d, c);
        var info = new Dictionary<string, object> { ["m"] = m, ["inputs"] = inputs, ["seed"] = seed };
        if (rotateSeed is long r) info["rotate_seed"] = r;
        return new Problem("ht-random", data, LossKind.CrossEntropy, FrequencyGroups.FromAssignment(groupOf, data.ClassMass), info);
    }

    /// <summary>
    /// A seeded Haar-random d × d orthogonal matrix (row-major): Q of the QR factorisation of a d × d matrix of independent
    /// N(0, 1) entries, with the signs of its columns set so that diag(R) &gt; 0 (Mezzadri 2007, "How to generate random
    /// matrices from the classical compact groups").
    /// </summary>
    public static double[] RandomOrthogonal(int d, long seed)
    {
        Guard.Positive(d, "d");
        var g = new double[d * d];
        new SeededRandom(seed).FillGaussian(g);
        var qr = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(d, d, (i, j) => g[i * d + j]).QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Full);
        var q = qr.Q; var rm = qr.R;
        var o = new double[d * d];
        for (int j = 0; j < d; j++)
        {
            double sign = rm[j, j] < 0 ? -1 : 1;
            for (int i = 0; i < d; i++) o[i * d + j] = sign * q[i, j];
        }
        return o;
    }

    /// <summary>X·Q for row-major X (n × d) and Q (d × d).</summary>
    public static double[] RotateRows(double[] x, int n, int d, double[] q)
    {
        var xm = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, d, (i, j) => x[i * d + j]);
        var qm = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(d, d, (i, j) => q[i * d + j]);
        var y = xm * qm;
        var o = new double[n * d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) o[i * d + j] = y[i, j];
        return o;
    }

    /// <summary>
    /// The inputs of <see cref="HtRandom"/>(m, inputs, seed) rounded to float32, generated without the float64 array
    /// (same random stream, element by element): X of m = 11 takes 2.2 GB instead of 4.4 + 2.2 GB. Labels are those of HtRandom.
    /// </summary>
    public static float[] HtRandomInputsSingle(int m, string inputs = "uniform", long seed = 0)
    {
        if (m < MinM || m > MaxM) throw new ArgumentException($"--m {m} is out of range; ht-random accepts {MinM} ≤ m ≤ {MaxM}.", nameof(m));
        if (inputs is not ("uniform" or "gaussian")) throw new ArgumentException($"unknown inputs '{inputs}'; choose uniform or gaussian.", nameof(inputs));
        long len = (long)(m << m) * ((m + 1) << m);
        if (len > int.MaxValue) throw new ArgumentException($"m = {m} is too large for one array (n·d = {len}).");
        var rng = new SeededRandom(seed);
        var x = new float[len];
        if (inputs == "gaussian") for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        else for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        return x;
    }

    /// <summary>The labels of <see cref="HtRandom"/>(m): 2^(m−j) samples of each of the 2^j classes of group j, in order.</summary>
    public static int[] HtRandomLabels(int m)
    {
        var labels = new int[m << m];
        int cls = 0, row = 0;
        for (int j = 0; j < m; j++)
            for (int q = 0; q < (1 << j); q++, cls++)
                for (int s = 0; s < (1 << (m - j)); s++) labels[row++] = cls;
        return labels;
    }

    /// <summary>
    /// HT-Cube: p(class = i) ∝ 1/(e + i), i = 0..c−1 (class counts by largest remainder of n·p),
    /// class means μ_i random corners of {0, 1}^50, x ~ N(μ_{y}, I), d = 50.
    /// </summary>
    public static Problem HtCube(int n, int classes, long seed = 0)
    {
        Guard.Positive(n, "samples"); 
        if (classes < 2) throw new ArgumentException($"classes = {classes} must be at least 2.", nameof(classes));
        const int d = 50;
        var p = Enumerable.Range(0, classes).Select(i => 1.0 / (Math.E + i)).ToArray();
        var counts = LargestRemainder(p, n);
        var rng = new SeededRandom(seed);
        var mu = new double[classes * d];
        for (int i = 0; i < mu.Length; i++) mu[i] = rng.NextDouble() < 0.5 ? 0.0 : 1.0;
        var labels = LabelsFromCounts(counts);
        var x = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) x[i * d + j] = mu[labels[i] * d + j] + rng.NextGaussian();
        var data = new Dataset(x, labels, n, d, classes);
        return new Problem("ht-cube", data, LossKind.CrossEntropy, FrequencyGroups.UpTo(data.GroupingMass()),
            new Dictionary<string, object> { ["samples"] = n, ["classes"] = classes, ["seed"] = seed });
    }

    /// <summary>
    /// HT-Identity (squared loss): for j = 0..k, 10^j classes with 10^(k−j) samples each; x and the target are
    /// the one-hot of the class (d = c = Σ_j 10^j, n = (k+1)·10^k), so W = I solves it; k+1 groups.
    /// </summary>
    public static Problem HtIdentity(int k)
    {
        if (k < 0 || k > 4) throw new ArgumentException($"k = {k} is out of range; use 0 ≤ k ≤ 4.", nameof(k));
        var counts = new List<int>(); var groupOf = new List<int>();
        for (int j = 0, pw = 1; j <= k; j++, pw *= 10)
            for (int q = 0; q < pw; q++) { counts.Add((int)Math.Pow(10, k - j)); groupOf.Add(j); }
        int c = counts.Count;
        var labels = LabelsFromCounts(counts.ToArray());
        int n = labels.Length;
        var x = new double[n * c];
        for (int i = 0; i < n; i++) x[i * c + labels[i]] = 1.0;
        var data = new Dataset(x, labels, n, c, c, targets: (double[])x.Clone());
        return new Problem("ht-identity", data, LossKind.Squared, FrequencyGroups.FromAssignment(groupOf.ToArray(), data.ClassMass),
            new Dictionary<string, object> { ["k"] = k });
    }

    /// <summary>Zipf: c classes with p_k ∝ (k+1)^(−a) (counts by largest remainder of n·p), Gaussian inputs N(0, I_d).</summary>
    public static Problem Zipf(int classes, int n, int d, double a, long seed = 0)
    {
        if (classes < 2) throw new ArgumentException($"classes = {classes} must be at least 2.", nameof(classes));
        Guard.Positive(n, "samples"); Guard.Positive(d, "dimension");
        if (!double.IsFinite(a) || a < 0) throw new ArgumentException($"zipf exponent {a} must be finite and ≥ 0.", nameof(a));
        var counts = LargestRemainder(ZipfProbabilities(classes, a), n);
        var labels = LabelsFromCounts(counts);
        var x = new double[n * d];
        new SeededRandom(seed).FillGaussian(x);
        var data = new Dataset(x, labels, n, d, classes);
        return new Problem("zipf", data, LossKind.CrossEntropy, FrequencyGroups.UpTo(counts.Select(v => (double)v).ToArray()),
            new Dictionary<string, object> { ["classes"] = classes, ["samples"] = n, ["dimension"] = d, ["zipf_exponent"] = a, ["seed"] = seed });
    }

    /// <summary>
    /// The theory model (population version): c classes with π_k ∝ (k+1)^(−a), x = e_k ∈ R^c, loss Σ_k π_k ℓ_k(W)
    /// evaluated exactly (one "sample" per class carrying weight π_k). Groups: up to 10 of equal mass.
    /// </summary>
    public static Problem OneHot(int classes, double a)
    {
        if (classes < 2) throw new ArgumentException($"classes = {classes} must be at least 2.", nameof(classes));
        if (!double.IsFinite(a) || a < 0) throw new ArgumentException($"zipf exponent {a} must be finite and ≥ 0.", nameof(a));
        var pi = ZipfProbabilities(classes, a);
        var x = new double[classes * classes];
        for (int k = 0; k < classes; k++) x[k * classes + k] = 1.0;
        var data = new Dataset(x, Enumerable.Range(0, classes).ToArray(), classes, classes, classes, weights: pi);
        return new Problem("one-hot", data, LossKind.CrossEntropy, FrequencyGroups.UpTo(pi),
            new Dictionary<string, object> { ["classes"] = classes, ["zipf_exponent"] = a });
    }

    /// <summary>
    /// The linear bigram model of Kunstner &amp; Bach 2025 (arXiv 2505.19227, Section 2 and Assumption 2.3), population version:
    /// vocabulary d, marginals π_i ∝ i^(−a) (row i = previous token of rank i), conditionals π_{j|i} with π_{ρ_i(k)|i} ∝ k^(−a)
    /// for a seeded permutation ρ_i of the columns of each row. Squared loss L(W) = ½ Σ_i π_i Σ_j (W_ij − π_{j|i})² (the paper's
    /// L_d(W) = (1/2n)‖XW − Y‖_F² on one-hot token pairs, up to the constant of the conditional variances): inputs X = I (one
    /// "sample" per previous token, weight π_i), targets Y = the conditionals, W_0 = 0. The Hessian is diagonal, π_i on row i,
    /// and the minimiser W* = (π_{j|i}) reaches L* = 0. Groups: up to 10 of equal marginal mass.
    /// </summary>
    public static Problem Bigram(int vocab, double a, long seed = 0)
    {
        if (vocab < 2) throw new ArgumentException($"vocab = {vocab} must be at least 2.", nameof(vocab));
        if ((long)vocab * vocab > Array.MaxLength) throw new ArgumentException($"vocab = {vocab} is too large for one array (d² = {(long)vocab * vocab}).", nameof(vocab));
        if (!double.IsFinite(a) || a < 0) throw new ArgumentException($"zipf exponent {a} must be finite and ≥ 0.", nameof(a));
        var pi = ZipfProbabilities(vocab, a);
        var x = new double[vocab * vocab];
        for (int i = 0; i < vocab; i++) x[i * vocab + i] = 1.0;
        var y = BigramConditionals(vocab, a, seed);
        var data = new Dataset(x, Enumerable.Range(0, vocab).ToArray(), vocab, vocab, vocab, weights: pi, targets: y);
        return new Problem("bigram", data, LossKind.Squared, FrequencyGroups.UpTo(pi),
            new Dictionary<string, object> { ["vocab"] = vocab, ["zipf_exponent"] = a, ["seed"] = seed });
    }

    /// <summary>The bigram conditionals (d×d, row-major): row i holds π_k ∝ k^(−a) at column ρ_i(k), ρ_i a seeded Fisher–Yates permutation.</summary>
    public static double[] BigramConditionals(int vocab, double a, long seed = 0)
    {
        var p = ZipfProbabilities(vocab, a);
        var y = new double[vocab * vocab];
        var rng = new SeededRandom(seed);
        var perm = new int[vocab];
        for (int i = 0; i < vocab; i++)
        {
            for (int k = 0; k < vocab; k++) perm[k] = k;
            for (int k = vocab - 1; k > 0; k--) { int r = rng.NextInt(k + 1); (perm[k], perm[r]) = (perm[r], perm[k]); }
            for (int k = 0; k < vocab; k++) y[i * vocab + perm[k]] = p[k];
        }
        return y;
    }

    /// <summary>π_k = (k+1)^(−a) / Σ_j (j+1)^(−a).</summary>
    public static double[] ZipfProbabilities(int classes, double a)
    {
        var p = new double[classes];
        for (int k = 0; k < classes; k++) p[k] = Math.Pow(k + 1, -a);
        double s = p.Sum();
        for (int k = 0; k < classes; k++) p[k] /= s;
        return p;
    }

    /// <summary>Integer counts summing to n, proportional to p (Hamilton's largest-remainder rule, ties by index).</summary>
    public static int[] LargestRemainder(IReadOnlyList<double> p, int n)
    {
        double s = p.Sum();
        var exact = p.Select(v => v / s * n).ToArray();
        var counts = exact.Select(v => (int)Math.Floor(v)).ToArray();
        int left = n - counts.Sum();
        foreach (int i in Enumerable.Range(0, p.Count).OrderByDescending(i => exact[i] - counts[i]).ThenBy(i => i).Take(left)) counts[i]++;
        return counts;
    }

    /// <summary>The labels 0…0 1…1 … with class k repeated counts[k] times, in class order.</summary>
    public static int[] LabelsFromCounts(IReadOnlyList<int> counts)
    {
        var labels = new int[counts.Sum()];
        int row = 0;
        for (int k = 0; k < counts.Count; k++) for (int s = 0; s < counts[k]; s++) labels[row++] = k;
        return labels;
    }
}
