using System.Runtime;

namespace HeavyTail.Experiments.Torch;

/// <summary>
/// Runs a block of TorchSharp calls with no garbage collection — hence no finalizer — in between.
/// </summary>
/// <remarks>
/// TorchSharp (0.107) wraps native tensors and scalars in objects with finalizers and passes raw handles to native
/// code; temporaries it creates itself (the implicit <c>Scalar</c> of <c>t / 2.0</c>, <c>masked_fill(m, −∞)</c>, the
/// α = 1 of <c>a + b</c>) become unreachable while their native call is still running, and when a GC happens then, the
/// finalizer thread frees them mid-call (dotnet/TorchSharp#1496). Seen here as "Unknown scalar type", failed Scalar
/// checks and segfaults after a few hundred steps. The fence drains pending finalizers, then holds a no-GC region for
/// the block, so nothing is finalized while its native calls run; the managed allocations of one full-batch pass (tensor
/// wrappers, per-chunk loss arrays) stay far below the budget. If the region cannot be entered the block still runs.
/// </remarks>
public static class FinalizerFence
{
    private const long Budget = 64L << 20;

    public static T Run<T>(Func<T> body)
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return body(); // nested
        GC.Collect();
        GC.WaitForPendingFinalizers();
        bool region;
        try { region = GC.TryStartNoGCRegion(Budget); }
        catch (ArgumentOutOfRangeException) { region = false; }
        catch (InvalidOperationException) { region = false; }
        try { return body(); }
        finally
        {
            if (region && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
    }
}
