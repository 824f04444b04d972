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
/// checks and segfaults after a few hundred steps. The fence enters a no-GC region, drains the finalizers already queued,
/// then runs the block, so nothing is finalized while its native calls run; the managed allocations of one full-batch pass (tensor
/// wrappers, per-chunk loss arrays) stay far below the budget. If the region cannot be entered the block still runs.
/// </remarks>
public static class FinalizerFence
{
    private const long Budget = 64L << 20;

    public static T Run<T>(Func<T> body)
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return body(); // nested
        bool region;
        try { region = GC.TryStartNoGCRegion(Budget); } // collects first if it needs room
        catch (ArgumentOutOfRangeException) { region = false; }
        catch (InvalidOperationException) { region = false; }
        GC.WaitForPendingFinalizers(); // what that (or any earlier) collection queued runs now, before the native calls
        try { return body(); }
        finally
        {
            if (region && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
    }
}
