using System.Collections.Concurrent;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Flows;
using HeavyTail.Ode.Solvers;

namespace HeavyTail.Ode.Tests;

/// <summary>
/// `--threads` holds in the solver's own vector passes (issue 22): the stage combinations of an explicit Runge–Kutta step
/// run on at most the field's <see cref="IVectorField.Threads"/>, which a model's flow takes from its compute context.
/// </summary>
public class ThreadCountTests
{
    /// <summary>dy/dt = −y row by row (row-separable), recording the threads that evaluate rows.</summary>
    private sealed class DecayRows(int rows, int rowLength, int threads) : IRowSeparableField
    {
        public ConcurrentDictionary<int, byte> SeenThreads { get; } = new();
        public int Dimension => rows * rowLength;
        public int Threads => threads;
        public bool IsRowSeparable => true;
        public int RowLength => rowLength;
        public void Evaluate(double t, double[] y, double[] dydt) => EvaluateRows(t, y, dydt, 0);
        public void EvaluateRows(double t, Span<double> yRows, Span<double> dydtRows, int firstRow)
        {
            SeenThreads.TryAdd(Environment.CurrentManagedThreadId, 0);
            for (int i = 0; i < yRows.Length; i++) dydtRows[i] = -yRows[i];
        }
    }

    [Fact]
    public void With_one_thread_every_stage_of_a_large_state_runs_on_the_calling_thread()
    {
        var field = new DecayRows(rows: 4096, rowLength: 64, threads: 1); // 262144 values: 32 blocks, above the parallel threshold
        var y0 = Enumerable.Repeat(1.0, field.Dimension).ToArray();
        var sol = Integrator.Solve(field, ExplicitRungeKutta.DormandPrince54, 0, 1, y0, SaveAt.None, new PIController(1e-8, 1e-10));
        Assert.Equal(SolveResult.Success, sol.Result);
        Assert.Equal(Math.Exp(-1), sol.YFinal[12345], 7);
        Assert.Equal([Environment.CurrentManagedThreadId], field.SeenThreads.Keys);
    }

    [Fact]
    public void A_model_flow_runs_on_its_compute_contexts_thread_count()
    {
        var problem = Problems.OneHot(8, 1.0);
        using var one = ComputeContext.Managed(1);
        using var two = ComputeContext.Managed(2);
        Assert.Equal(1, ((IVectorField)new GradientFlow(LinearModel.Create(problem.Loss, problem.Data, one))).Threads);
        Assert.Equal(2, ((IVectorField)new GradientFlow(LinearModel.Create(problem.Loss, problem.Data, two))).Threads);
        Assert.Equal(Environment.ProcessorCount, ((IVectorField)new FunctionField(3, (_, _, _) => { })).Threads);
    }
}
