namespace HeavyTail.Analytic.Data;

/// <summary>The loss a problem is trained with: softmax cross-entropy (classification) or squared loss (regression).</summary>
public enum LossKind
{
    /// <summary>Softmax cross-entropy, ℓ_i = −log softmax(x_iᵀW)[y_i].</summary>
    CrossEntropy,
    /// <summary>Squared loss, ℓ_i = ½‖x_iᵀW − Y_i‖² (Y the targets, or the one-hot labels).</summary>
    Squared,
}

/// <summary>
/// A labelled data set for the linear model: inputs X (n×d, row-major), labels y ∈ {0..c−1},
/// sample weights w (default 1/n, so the loss is the mean), and for squared loss the targets Y (n×c).
/// </summary>
/// <remarks>
/// The loss of a model on this data is L(W) = Σ_i w_i ℓ_i(W). With the default weights this is the
/// empirical mean (1/n)Σ_i ℓ_i; a population problem (the one-hot theory model) puts the class
/// probabilities π_k in w instead. A bias b is handled as an extra input feature equal to 1
/// (<see cref="WithBias"/>), so parameters are always a d×c matrix W stored row-major, index j·c + a.
/// </remarks>
public sealed class Dataset
{
    /// <summary>Number of samples n (rows of X).</summary>
    public int N { get; }
    /// <summary>Number of input features d (columns of X, including the bias feature when <see cref="HasBias"/>).</summary>
    public int D { get; }
    /// <summary>Number of classes c (columns of W and of the logits).</summary>
    public int C { get; }
    /// <summary>
    /// The inputs X, n×d row-major: X[i·d + j] is feature j of sample i. A data set made from float32 inputs
    /// (<see cref="SingleInputs"/>) widens them here on first use and keeps the float64 copy from then on.
    /// </summary>
    public double[] X
    {
        get
        {
            if (_x is { } x) return x;
            lock (_widen)
            {
                if (_x != null) return _x;
                var wide = GC.AllocateUninitializedArray<double>(SingleInputs!.Length);
                System.Numerics.Tensors.TensorPrimitives.ConvertChecked<float, double>(SingleInputs, wide);
                return _x = wide;
            }
        }
    }

    /// <summary>
    /// The inputs in float32 (n×d row-major) when the data set was made from them (a float32 run's data: X of HT-Random
    /// m = 11 takes 2.2 GB instead of 4.4 GB); null for a data set made from float64 inputs.
    /// </summary>
    public float[]? SingleInputs { get; }

    private double[]? _x;
    private readonly object _widen = new();
    /// <summary>The labels y_i ∈ {0..c−1}, one per sample.</summary>
    public int[] Labels { get; }
    /// <summary>The sample weights w_i of the loss L = Σ_i w_i ℓ_i (1/n each unless given).</summary>
    public double[] Weights { get; }
    /// <summary>The regression targets Y (n×c, row-major) of the squared loss; null for classification, where Y is the one-hot encoding of the labels.</summary>
    public double[]? Targets { get; }
    /// <summary>True when the last feature of X is the constant 1 (a bias), so the last row of W is the bias b.</summary>
    public bool HasBias { get; }

    /// <summary>X is the n×n identity (one-hot inputs x_i = e_i): then Z = W and Xᵀ R = R, and models skip their GEMMs.</summary>
    public bool IdentityInputs { get; }

    /// <summary>All sample weights are equal (the usual empirical mean): means are then formed as Σℓ_i / count.</summary>
    public bool UniformWeights { get; }

    /// <summary>Number of samples of each class.</summary>
    public int[] ClassCounts { get; }

    /// <summary>Σ of the sample weights of each class (the class frequency π_k; sums to 1 for default weights).</summary>
    public double[] ClassMass { get; }

    /// <summary>
    /// Wraps float32 inputs (not copied; see <see cref="SingleInputs"/>) with the other arrays, checked as by the float64
    /// constructor; <see cref="X"/> is widened from them only when a float64 pass asks for it.
    /// </summary>
    public Dataset(float[] singleInputs, int[] labels, int n, int d, int c, double[]? weights = null, double[]? targets = null)
        : this(null, singleInputs ?? throw new ArgumentNullException(nameof(singleInputs)), labels, n, d, c, weights, targets, false) { }

    /// <summary>Wraps the arrays (not copied) and checks their shapes, the label range and that X is finite.</summary>
    /// <param name="weights">sample weights w (length n; default 1/n each, so the loss is the empirical mean).</param>
    /// <param name="targets">squared-loss targets Y (n×c); null: the one-hot encoding of the labels.</param>
    /// <param name="hasBias">the last column of X is the constant-1 bias feature.</param>
    public Dataset(double[] x, int[] labels, int n, int d, int c, double[]? weights = null, double[]? targets = null, bool hasBias = false)
        : this(x ?? throw new ArgumentNullException(nameof(x)), null, labels, n, d, c, weights, targets, hasBias) { }

    private Dataset(double[]? x, float[]? single, int[] labels, int n, int d, int c, double[]? weights, double[]? targets, bool hasBias)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Guard.Positive(n, nameof(n)); Guard.Positive(d, nameof(d)); Guard.Positive(c, nameof(c));
        Guard.Length(x?.Length ?? single!.Length, n * d, "X", $"n×d = {n}×{d}");
        Guard.Length(labels.Length, n, "y", $"one label per row of X, n = {n}");
        if (x != null) Guard.Finite(x, "X");
        else if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(single)) throw new ArgumentException("X has a non-finite entry.", "X");
        Guard.Labels(labels, c, "y");
        if (weights != null)
        {
            Guard.Length(weights.Length, n, "weights", $"one weight per sample, n = {n}");
            Guard.Finite(weights, "weights");
            for (int i = 0; i < n; i++)
                if (weights[i] < 0) throw new ArgumentException($"weights[{i}] = {weights[i]} is negative.", nameof(weights));
        }
        if (targets != null)
        {
            Guard.Length(targets.Length, n * c, "Y", $"n×c = {n}×{c}");
            Guard.Finite(targets, "Y");
        }
        N = n; D = d; C = c; _x = x; SingleInputs = single; Labels = labels; Targets = targets; HasBias = hasBias;
        Weights = weights ?? Enumerable.Repeat(1.0 / n, n).ToArray();
        UniformWeights = Weights.All(v => v == Weights[0]);
        IdentityInputs = n == d && (x != null ? IsIdentity(x, n) : IsIdentity(single!, n));
        ClassCounts = new int[c];
        ClassMass = new double[c];
        for (int i = 0; i < n; i++) { ClassCounts[labels[i]]++; ClassMass[labels[i]] += Weights[i]; }
    }

    private static bool IsIdentity<T>(T[] x, int n) where T : System.Numerics.INumber<T>
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (x[(long)i * n + j] != (i == j ? T.One : T.Zero)) return false;
        return true;
    }

    /// <summary>The class masses frequency groups are cut by: exact sample counts for equal weights, the weights' sums otherwise.</summary>
    public double[] GroupingMass() => UniformWeights ? ClassCounts.Select(v => (double)v).ToArray() : (double[])ClassMass.Clone();

    /// <summary>One-hot targets Y[i, y_i] = 1 when no explicit targets were given.</summary>
    public double[] TargetsOrOneHot()
    {
        if (Targets != null) return Targets;
        var y = new double[N * C];
        for (int i = 0; i < N; i++) y[i * C + Labels[i]] = 1.0;
        return y;
    }

    /// <summary>The same data with a constant feature 1 appended to every input (last row of W is the bias).</summary>
    public Dataset WithBias()
    {
        if (HasBias) return this;
        var xb = new double[N * (D + 1)];
        for (int i = 0; i < N; i++)
        {
            Array.Copy(X, i * D, xb, i * (D + 1), D);
            xb[i * (D + 1) + D] = 1.0;
        }
        return new Dataset(xb, Labels, N, D + 1, C, Weights, Targets, hasBias: true);
    }
}
