namespace HeavyTail.Analytic;

/// <summary>Argument validation shared by the kernels: every message names the argument and the bad value.</summary>
public static class Guard
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="name"/> and its expected <paramref name="shape"/> unless actual == expected.</summary>
    public static void Length(int actual, int expected, string name, string shape)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has length {actual}, expected {expected} ({shape}).", name);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="name"/> and its expected <paramref name="shape"/> unless actual ≥ expected.</summary>
    public static void AtLeast(int actual, int expected, string name, string shape)
    {
        if (actual < expected)
            throw new ArgumentException($"{name} has length {actual}, expected at least {expected} ({shape}).", name);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="value"/> &gt; 0.</summary>
    public static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} = {value} must be positive.", name);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first NaN or ±∞ entry of <paramref name="x"/>, if any.</summary>
    public static void Finite(ReadOnlySpan<double> x, string name)
    {
        if (VectorMath.AllFinite(x)) return;
        for (int i = 0; i < x.Length; i++)
            if (!double.IsFinite(x[i]))
                throw new ArgumentException($"{name}[{i}] = {x[i]} is not finite; remove NaN/Inf values from {name}.", name);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first label outside 0..classes−1, if any.</summary>
    public static void Labels(ReadOnlySpan<int> y, int classes, string name = "y")
    {
        for (int i = 0; i < y.Length; i++)
            if ((uint)y[i] >= (uint)classes)
                throw new ArgumentException($"{name}[{i}] = {y[i]} is outside the class range 0..{classes - 1}.", name);
    }
}
