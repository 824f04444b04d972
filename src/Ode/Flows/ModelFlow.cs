using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Ode.Flows;

/// <summary>
/// A flow on the parameters W (d×c) of a <see cref="LinearModel"/>, possibly with auxiliary state after W
/// (momentum, Adam moments). The state is [W, aux…]; <see cref="Weights"/> extracts W.
/// </summary>
public abstract class ModelFlow : IVectorField
{
    /// <summary>Scratch for ∇L at the current W (filled by <see cref="GradientAt"/>).</summary>
    protected readonly double[] Grad;
    private readonly double[] _w;

    /// <summary>A flow on <paramref name="model"/>'s W with <paramref name="auxiliaryBlocks"/> further blocks of d·c values of state (momentum, moments).</summary>
    protected ModelFlow(LinearModel model, int auxiliaryBlocks = 0)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        P = model.ParameterCount;
        Dimension = P * (1 + auxiliaryBlocks);
        Grad = new double[P];
        _w = new double[P];
    }

    /// <summary>The model whose loss drives the flow.</summary>
    public LinearModel Model { get; }
    /// <summary>Number of parameters d·c.</summary>
    public int P { get; }
    /// <summary>The state's length, d·c·(1 + auxiliary blocks).</summary>
    public int Dimension { get; }
    /// <summary>The flow's name as <c>heavytail flow --flow</c> spells it.</summary>
    public abstract string Name { get; }

    /// <summary>The model's compute context's thread count (<see cref="Analytic.LinearAlgebra.ILinearAlgebraProvider.Threads"/>).</summary>
    public int Threads => Model.LinearAlgebra.Threads;

    /// <summary>Writes dy/dt at the state y = [W, aux…] into <paramref name="dydt"/>.</summary>
    public abstract void Evaluate(double t, double[] y, double[] dydt);

    /// <summary>The initial state for W(0) = w0 (auxiliary state zero unless the flow says otherwise).</summary>
    public virtual double[] InitialState(double[] w0)
    {
        if (w0.Length != P) throw new ArgumentException($"W0 has length {w0.Length}, expected d·c = {P}.", nameof(w0));
        var y = new double[Dimension];
        Array.Copy(w0, y, P);
        return y;
    }

    /// <summary>∇L at the W part of state y, into <see cref="Grad"/>; returns L.</summary>
    protected double GradientAt(double[] y)
    {
        if (y.Length == P) return Model.LossAndGradient(y, Grad);
        Array.Copy(y, _w, P);
        return Model.LossAndGradient(_w, Grad);
    }

    /// <summary>A copy of the W part (the first d·c values) of the state <paramref name="y"/>.</summary>
    public double[] Weights(double[] y) => y.Length == P ? (double[])y.Clone() : y[..P];

    /// <summary>
    /// The rate of change of the loss along the flow, dL/dt = ⟨∇L, dW/dt⟩, evaluated from the flow's own
    /// right-hand side (gradient flow: −‖g‖², sign flow: −‖g‖₁, normalized flow: −‖g‖).
    /// </summary>
    public double Dissipation(double t, double[] y)
    {
        var dydt = new double[Dimension];
        Evaluate(t, y, dydt);
        GradientAt(y);
        double s = 0;
        for (int i = 0; i < P; i++) s += Grad[i] * dydt[i];
        return s;
    }

    /// <summary>
    /// The right-hand side jumps (sign-type flows): integrate with fixed steps, not under error control, which would chatter
    /// across the switching surfaces.
    /// </summary>
    public virtual bool Discontinuous => false;

    /// <summary>The dissipation the flow's identity predicts from ∇L alone (NaN when there is no such identity).</summary>
    public virtual double PredictedDissipation(double[] gradient) => double.NaN;
}
