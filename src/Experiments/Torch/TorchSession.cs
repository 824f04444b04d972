using HeavyTail.Experiments.Runs;
using TorchSharp;

namespace HeavyTail.Experiments.Torch;

/// <summary>
/// The one entry to TorchSharp: prepares the native library (<see cref="TorchRuntime"/>), then loads libtorch. Holds no state
/// of its own: both steps are idempotent (a second call finds the fix in place and libtorch loaded), so each call does them again.
/// </summary>
public static class TorchSession
{
    private static readonly Lock Gate = new();

    /// <summary>
    /// Loads libtorch (CPU) with as many intra-op threads as cores, or <paramref name="threads"/> (the run's compute context;
    /// libtorch's thread count is process-wide); a failure becomes one line saying what to do.
    /// </summary>
    public static void Ensure(Action<string>? log = null, int? threads = null)
    {
        lock (Gate)
        {
            TorchRuntime.Prepare(log);
            if (TorchRuntime.LibTorchHint() is { } missing) throw new UserError(missing);   // before TorchSharp prints its own 30-line trace
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
                torch.set_num_threads(threads ?? Environment.ProcessorCount);
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or InvalidOperationException)
            {
                var inner = e; while (inner.InnerException != null) inner = inner.InnerException;
                if (TorchRuntime.LibTorchHint(probeSystem: false) is { } hint) throw new UserError(hint);
                throw new UserError($"TorchSharp could not load libtorch: {UserError.OneLine(inner)} (`heavytail torch` shows the native-library check; a rebuild restores the packaged files).");
            }
        }
    }

    public static string Describe() =>
        $"TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {torch.__version__}, {torch.get_num_threads()} threads, device cpu";
}
