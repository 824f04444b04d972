using System.Numerics;

namespace HeavyTail.Ode.Optimizers;

/// <summary>
/// A full-batch discrete optimizer: W_{t} = W_{t−1} − η·(direction from g_t = ∇L(W_{t−1}) and the optimizer's state).
/// <see cref="Step{T}"/> is called with the gradient at the current W and updates W in place; t counts from 1.
/// </summary>
/// <remarks>
/// Precision (as PyTorch with parameters of dtype T): W, g and the state are T[]; every element-wise operation runs in T;
/// scalars (η, β, ε, bias corrections) are formed in float64 and rounded to T once per step; the state takes the type of
/// the first step's W. A float64 step is bit-identical to the float64-only formulas written in each optimizer's summary.
/// </remarks>
public abstract class Optimizer
{
    /// <summary>An optimizer with learning rate η = <paramref name="lr"/> (finite, ≥ 0).</summary>
    protected Optimizer(double lr)
    {
        if (!double.IsFinite(lr) || lr < 0) throw new ArgumentException($"learning rate {lr} must be finite and ≥ 0.", nameof(lr));
        LearningRate = lr;
    }

    /// <summary>The learning rate η.</summary>
    public double LearningRate { get; }
    /// <summary>The number of steps taken (t of the last step).</summary>
    public int StepCount { get; private set; }
    /// <summary>The optimizer's name as the CLI and run.json spell it (gd, adam, sign, ...).</summary>
    public abstract string Name { get; }

    /// <summary>One float64 step: W updated in place from the gradient g = ∇L(W).</summary>
    public void Step(double[] w, double[] g) => Step<double>(w, g);

    /// <summary>One float32 step: W updated in place from the gradient g = ∇L(W), in float32 arithmetic.</summary>
    public void Step(float[] w, float[] g) => Step<float>(w, g);

    /// <summary>One step in the precision T: counts t up and applies the update rule to W in place from the gradient g at W.</summary>
    public void Step<T>(T[] w, T[] g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (w.Length != g.Length) throw new ArgumentException($"W has {w.Length} entries but the gradient has {g.Length}.");
        StepCount++;
        Update(w, g, StepCount);
    }

    /// <summary>The update rule of step <paramref name="t"/> (t ≥ 1): W changed in place from the gradient <paramref name="g"/> and the optimizer's state.</summary>
    protected abstract void Update<T>(T[] w, T[] g, int t) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>A state array of the weights' type, allocated (zeros) on first use.</summary>
    protected static T[] State<T>(ref Array? slot, int length) where T : unmanaged
    {
        slot ??= new T[length];
        return slot as T[] ?? throw new InvalidOperationException($"this optimizer's state is {slot.GetType().GetElementType()!.Name}; it cannot step {typeof(T).Name} weights (use one optimizer per precision).");
    }

    /// <summary>The state as float64 (empty before the first step or when it is held in another type).</summary>
    protected static ReadOnlySpan<double> AsDouble(Array? slot) => slot as double[];

    /// <summary>sign(x) with sign(0) = 0 (as torch.sign).</summary>
    protected static T Sign<T>(T x) where T : IFloatingPointIeee754<T> => x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;

    /// <summary>‖g‖₂, the squares summed in float64 (for T = float64 exactly the sum Σ g_i² in index order).</summary>
    protected static double Norm<T>(T[] g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s = 0;
        foreach (var v in g) { double x = double.CreateTruncating(v); s += x * x; }
        return Math.Sqrt(s);
    }

    /// <summary>x rounded to T.</summary>
    protected static T Cast<T>(double x) where T : IFloatingPointIeee754<T> => T.CreateTruncating(x);
}

/// <summary>
/// Momentum over a direction d_t (PyTorch SGD semantics, dampening 0): b_1 = d_1, b_t = μ b_{t−1} + d_t, W −= η b_t.
/// </summary>
public abstract class MomentumOptimizer : Optimizer
{
    private Array? _buffer, _d;

    /// <summary>Heavy ball with learning rate η = <paramref name="lr"/> and momentum μ = <paramref name="momentum"/> ∈ [0, 1).</summary>
    protected MomentumOptimizer(double lr, double momentum) : base(lr)
    {
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentException($"momentum μ = {momentum} must be in [0, 1).", nameof(momentum));
        Momentum = momentum;
    }

    /// <summary>μ, the momentum of the buffer b_t = μ b_{t−1} + d_t.</summary>
    public double Momentum { get; }
    /// <summary>The momentum buffer b_t (float64 runs; empty before the first step).</summary>
    public ReadOnlySpan<double> Buffer => AsDouble(_buffer);

    /// <summary>Writes the direction d_t for gradient g into <paramref name="d"/>.</summary>
    protected abstract void Direction<T>(T[] g, T[] d) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>b_1 = d_1, b_t = μ b_{t−1} + d_t, W −= η b_t with d_t from <see cref="Direction"/>.</summary>
    protected override void Update<T>(T[] w, T[] g, int t)
    {
        var d = State<T>(ref _d, g.Length);
        Direction(g, d);
        bool first = _buffer == null;
        var b = State<T>(ref _buffer, g.Length);
        T mu = Cast<T>(Momentum), lr = Cast<T>(LearningRate);
        if (first) Array.Copy(d, b, d.Length);
        else for (int i = 0; i < d.Length; i++) b[i] = mu * b[i] + d[i];
        for (int i = 0; i < w.Length; i++) w[i] -= lr * b[i];
    }
}
