namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>The floating-point type a computation runs in.</summary>
public enum Precision { Float64, Float32 }

/// <summary>
/// Everything a computation needs to know about where it runs: the linear-algebra provider, the precision and the thread
/// count. An explicit, disposable value: the CLI creates one per command and passes it down; library users create their
/// own (<see cref="Managed"/> for the reference backend). Nothing reads a process-wide backend.
/// </summary>
public sealed class ComputeContext : IDisposable
{
    private readonly bool _ownsProvider;

    /// <param name="provider">the backend.</param>
    /// <param name="ownsProvider">dispose the provider with this context.</param>
    public ComputeContext(ILinearAlgebraProvider provider, bool ownsProvider = true)
    {
        LinearAlgebra = provider ?? throw new ArgumentNullException(nameof(provider));
        _ownsProvider = ownsProvider;
    }

    public ILinearAlgebraProvider LinearAlgebra { get; }

    /// <summary>float32 on the ILGPU backends, float64 elsewhere (the toolkit's default).</summary>
    public Precision Precision => LinearAlgebra.SinglePrecision ? Precision.Float32 : Precision.Float64;

    public int Threads => LinearAlgebra.Threads;

    /// <summary>The backend's name (cache keys and run.json record it).</summary>
    public string Backend => LinearAlgebra.Name;

    /// <summary>The managed reference backend on <paramref name="threads"/> threads (default: every core).</summary>
    public static ComputeContext Managed(int? threads = null) => new(new ManagedLinearAlgebraProvider(threads));

    public void Dispose()
    {
        if (_ownsProvider) LinearAlgebra.Dispose();
    }
}

/// <summary>A named backend a <see cref="BackendCatalog"/> can open: an availability check and a factory.</summary>
/// <param name="Open">creates the provider on the given thread count; null when the backend is not available here.</param>
public sealed record LinearAlgebraBackend(string Name, string Description, Func<int?, ILinearAlgebraProvider?> Open, string Unavailable)
{
    public static readonly LinearAlgebraBackend Managed = new("cpu", "managed GEMM and row passes (always available)",
        t => new ManagedLinearAlgebraProvider(t), "");

    public static readonly LinearAlgebraBackend Native = new("native", "system OpenBLAS GEMM, managed row passes",
        t => NativeBlasProvider.TryCreate(t), "backend 'native' needs a system OpenBLAS (Debian: apt-get install libopenblas0-pthread); use --backend cpu.");
}

/// <summary>
/// The backends a program offers, by name (an immutable value: src/Gpu adds its own to the CPU ones). <see cref="Open"/>
/// turns a name into a <see cref="ComputeContext"/>: cpu/managed, native, a listed one, or auto = the first available of
/// native, cpu.
/// </summary>
public sealed class BackendCatalog(IReadOnlyList<LinearAlgebraBackend> backends)
{
    /// <summary>The managed and OpenBLAS backends.</summary>
    public static readonly BackendCatalog Cpu = new([LinearAlgebraBackend.Managed, LinearAlgebraBackend.Native]);

    public IReadOnlyList<LinearAlgebraBackend> Backends { get; } = backends;

    public BackendCatalog With(params LinearAlgebraBackend[] more) => new([.. Backends, .. more]);

    public IEnumerable<string> Names => Backends.Select(b => b.Name).Append("auto");

    /// <summary>Checks a backend name and thread count without opening anything (an <see cref="ArgumentException"/> that says what to do).</summary>
    public void Check(string name, int? threads = null)
    {
        if (threads is < 1) throw new ArgumentException($"threads = {threads} must be at least 1.", nameof(threads));
        if (name is not ("auto" or "managed") && Backends.All(b => b.Name != name))
            throw new ArgumentException($"unknown backend '{name}'{Spelling.DidYouMean(name, Names)}; choose {string.Join(", ", Names)}.");
    }

    /// <summary>The context for a backend name; an unknown or unavailable one is an <see cref="ArgumentException"/> that says what to do.</summary>
    public ComputeContext Open(string name, int? threads = null)
    {
        Check(name, threads);
        if (name == "managed") name = "cpu";
        if (name == "auto")
            return new ComputeContext(LinearAlgebraBackend.Native.Open(threads) ?? LinearAlgebraBackend.Managed.Open(threads)!);
        var b = Backends.FirstOrDefault(x => x.Name == name)
            ?? throw new ArgumentException($"unknown backend '{name}'{Spelling.DidYouMean(name, Names)}; choose {string.Join(", ", Names)}.");
        var p = b.Open(threads) ?? throw new ArgumentException(b.Unavailable != "" ? b.Unavailable : $"backend '{name}' is not available on this machine; use --backend cpu.");
        return new ComputeContext(p);
    }
}
