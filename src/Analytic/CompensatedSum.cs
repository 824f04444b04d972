namespace HeavyTail.Analytic;

/// <summary>Neumaier's compensated summation: the error of a sum of n terms is O(ε) instead of O(nε).</summary>
public struct CompensatedSum
{
    private double _sum, _c;

    public void Add(double x)
    {
        double t = _sum + x;
        _c += Math.Abs(_sum) >= Math.Abs(x) ? (_sum - t) + x : (x - t) + _sum;
        _sum = t;
    }

    public readonly double Value => _sum + _c;
}
