namespace HeavyTail.Analytic;

/// <summary>Neumaier's compensated summation: the error of a sum of n terms is O(ε) instead of O(nε).</summary>
public struct CompensatedSum
{
    private double _sum, _c;

    /// <summary>Adds x to the sum, carrying the rounding error of the addition in the compensation term (Neumaier's branch on |sum| ≥ |x|).</summary>
    public void Add(double x)
    {
        double t = _sum + x;
        _c += Math.Abs(_sum) >= Math.Abs(x) ? (_sum - t) + x : (x - t) + _sum;
        _sum = t;
    }

    /// <summary>The compensated sum of every term added so far: the running sum plus its accumulated rounding error.</summary>
    public readonly double Value => _sum + _c;
}
