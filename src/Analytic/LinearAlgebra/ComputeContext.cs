namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>The floating-point type a computation runs in.</summary>
public enum Precision
{
    /// <summary>IEEE 754 double precision, the toolkit's default.</summary>
    Float64,
    /// <summary>IEEE 754 single precision (the ILGPU backends, `--dtype float32`).</summary>
    Float32,
}

/// <summary>Names of a <see cref="Precision"/> as the command line and run.json write them: float64, float32.</summary>
public static class PrecisionNames
{
    /// <summary>The name of the precision: float32 or float64.</summary>
    public static string Name(this Precision p) => p == Precision.Float32 ? "float32" : "float64";

    /// <summary>float32 or float64; anything else is an <see cref="ArgumentException"/> that says what to write.</summary>
    public static Precision Parse(string text, string what = "--dtype") => text switch
    {
        "float64" => Precision.Float64,
        "float32" => Precision.Float32,
        _ => throw new ArgumentException($"{what} '{text}' is not a precision{Spelling.DidYouMean(text, ["float32", "float64"])}; choose float64 (the default) or float32."),
    };
}

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
    /// <param name="choice">how the backend was chosen (recorded in run.json): the name asked for, or auto's measurement.</param>
    public ComputeContext(ILinearAlgebraProvider provider, bool ownsProvider = true, string? choice = null)
    {
        LinearAlgebra = provider ?? throw new ArgumentNullException(nameof(provider));
        _ownsProvider = ownsProvider;
        Choice = choice ?? provider.Name;
    }

    /// <summary>How the backend was chosen: its name when asked for by name; for auto, the probe's timings.</summary>
    public string Choice { get; }

    /// <summary>The backend (GEMMs and softmax row passes) every model, flow and stepper of this context runs on.</summary>
    public ILinearAlgebraProvider LinearAlgebra { get; }

    /// <summary>float32 on the ILGPU backends and on a CPU backend opened for float32 (<see cref="SinglePrecisionProvider"/>), float64 elsewhere (the toolkit's default).</summary>
    public Precision Precision => LinearAlgebra.SinglePrecision ? Precision.Float32 : Precision.Float64;

    /// <summary>Worker threads of the backend's host passes (<see cref="ILinearAlgebraProvider.Threads"/>).</summary>
    public int Threads => LinearAlgebra.Threads;

    /// <summary>The backend's name (cache keys and run.json record it).</summary>
    public string Backend => LinearAlgebra.Name;

    /// <summary>The managed reference backend on <paramref name="threads"/> threads (default: every core).</summary>
    public static ComputeContext Managed(int? threads = null) => new(new ManagedLinearAlgebraProvider(threads));

    /// <summary>Disposes the backend when this context owns it (the default).</summary>
    public void Dispose()
    {
        if (_ownsProvider) LinearAlgebra.Dispose();
    }
}

/// <summary>A named backend a <see cref="BackendCatalog"/> can open: an availability check and a factory.</summary>
/// <param name="Open">creates the provider on the given thread count; null when the backend is not available here.</param>
public sealed record LinearAlgebraBackend(string Name, string Description, Func<int?, ILinearAlgebraProvider?> Open, string Unavailable)
{
    /// <summary>The backend computes in float32 only (the ILGPU ones); the CPU backends compute in float64 or, opened for it, float32.</summary>
    public bool Float32Only { get; init; }

    /// <summary>The managed backend "cpu": blocked SIMD GEMM and row passes in C#, always available.</summary>
    public static readonly LinearAlgebraBackend Managed = new("cpu", "managed GEMM and row passes (always available)",
        t => new ManagedLinearAlgebraProvider(t), "");

    /// <summary>The backend "native": the system OpenBLAS's GEMM (cblas_dgemm, cblas_sgemm) with managed row passes; unavailable without libopenblas.</summary>
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

    /// <summary>The backends this catalog offers, in order.</summary>
    public IReadOnlyList<LinearAlgebraBackend> Backends { get; } = backends;

    /// <summary>A catalog with <paramref name="more"/> appended (this one is unchanged).</summary>
    public BackendCatalog With(params LinearAlgebraBackend[] more) => new([.. Backends, .. more]);

    /// <summary>The names <see cref="Open"/> accepts: every backend's name, then auto.</summary>
    public IEnumerable<string> Names => Backends.Select(b => b.Name).Append("auto");

    /// <summary>
    /// Checks a backend name, thread count and precision without opening anything (an <see cref="ArgumentException"/> that
    /// says what to do): float64 on a float32-only backend is refused.
    /// </summary>
    /// <param name="precision">the precision asked for; null: the backend's own (float32 on the ILGPU backends, else float64).</param>
    public void Check(string name, int? threads = null, Precision? precision = null)
    {
        if (threads is < 1) throw new ArgumentException($"threads = {threads} must be at least 1.", nameof(threads));
        if (name is not ("auto" or "managed") && Backends.All(b => b.Name != name))
            throw new ArgumentException($"unknown backend '{name}'{Spelling.DidYouMean(name, Names)}; choose {string.Join(", ", Names)}.");
        if (precision == Precision.Float64 && Backends.FirstOrDefault(b => b.Name == name) is { Float32Only: true })
            throw new ArgumentException($"backend {name} computes in float32 only; use --dtype float32, or --backend cpu or native for float64.");
    }

    /// <summary>
    /// The context for a backend name in a precision (null: the backend's own); an unknown or unavailable backend, or float64
    /// on a float32-only one, is an <see cref="ArgumentException"/> that says what to do. float32 on a CPU backend wraps it
    /// in a <see cref="SinglePrecisionProvider"/>.
    /// </summary>
    public ComputeContext Open(string name, int? threads = null, Precision? precision = null)
    {
        Check(name, threads, precision);
        if (name == "managed") name = "cpu";
        var context = name == "auto" ? BackendProbe.Fastest([LinearAlgebraBackend.Native, LinearAlgebraBackend.Managed], threads) : OpenNamed(name, threads);
        if (precision is not { } asked || asked == context.Precision) return context;
        if (asked == Precision.Float64)
        {
            string backend = context.Backend;
            context.Dispose();
            throw new ArgumentException($"backend {backend} computes in float32 only; use --dtype float32, or --backend cpu or native for float64.");
        }
        return new ComputeContext(new SinglePrecisionProvider(context.LinearAlgebra), choice: context.Choice);
    }

    private ComputeContext OpenNamed(string name, int? threads)
    {
        var b = Backends.FirstOrDefault(x => x.Name == name)
            ?? throw new ArgumentException($"unknown backend '{name}'{Spelling.DidYouMean(name, Names)}; choose {string.Join(", ", Names)}.");
        var p = b.Open(threads) ?? throw new ArgumentException(b.Unavailable != "" ? b.Unavailable : $"backend '{name}' is not available on this machine; use --backend cpu.");
        return new ComputeContext(p);
    }
}

/// <summary>
/// `--backend auto`: the fastest available CPU backend on this machine, by measurement — never by presence alone (an
/// OpenBLAS forced onto slower kernels, e.g. OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU, runs at about half speed).
/// </summary>
/// <remarks>
/// The probe times the two GEMM layouts of a softmax step, Z = X·W and G = Xᵀ·R, at n = 2048 samples, d = 1024 features,
/// c = 256 classes in float64 (2·n·d·c ≈ 1.1 GFLOP each, ≈ 10 ms), the candidates interleaved (a change of load on the
/// machine hits both), median of 5 after a warm-up. A backend other than the managed one (the reference, bit-identical
/// everywhere) must be at least <see cref="RequiredSpeedup"/> faster to be chosen.
/// The verdict is kept per machine in $XDG_CACHE_HOME/heavytail (or ~/.cache/heavytail), keyed by what changes it: CPU
/// model, cores, threads, the OpenBLAS library and the kernels it runs, and the OPENBLAS_* variables (no process-wide state: a second open reads the file).
/// </remarks>
public static class BackendProbe
{
    private const int ProbeRows = 2048, ProbeDepth = 1024, ProbeCols = 256, Repeats = 5;

    /// <summary>A native backend must beat the managed one by this factor: within timing noise the managed reference is kept.</summary>
    public const double RequiredSpeedup = 1.1;

    /// <summary>The context of the fastest available candidate; <see cref="ComputeContext.Choice"/> says why.</summary>
    /// <param name="cacheFile">where verdicts are kept (default: the per-user cache); one file per machine.</param>
    public static ComputeContext Fastest(IReadOnlyList<LinearAlgebraBackend> candidates, int? threads, string? cacheFile = null)
    {
        var open = candidates.Select(b => (Backend: b, Provider: b.Open(threads))).Where(x => x.Provider != null).ToList();
        if (open.Count == 0) throw new ArgumentException("no backend is available; use --backend cpu.");
        if (open.Count == 1) return new ComputeContext(open[0].Provider!, choice: $"auto: {open[0].Provider!.Name} (the only backend available)");
        string file = cacheFile ?? CachePath();
        string key = MachineKey(open.Select(o => o.Provider!), threads);
        string verdict = ReadCache(file, key) ?? Measure(open.Select(o => o.Provider!).ToList(), file, key);
        string winner = verdict.Split(' ')[0];
        var chosen = open.FirstOrDefault(o => o.Provider!.Name == winner).Provider ?? open[0].Provider!;
        foreach (var o in open) if (!ReferenceEquals(o.Provider, chosen)) o.Provider!.Dispose();
        return new ComputeContext(chosen, choice: $"auto: {verdict}");
    }

    /// <summary>Seconds of one probe step (both GEMM layouts) per provider: the median of <see cref="Repeats"/> interleaved runs after a warm-up.</summary>
    public static double[] Time(IReadOnlyList<ILinearAlgebraProvider> providers)
    {
        var x = new double[ProbeRows * ProbeDepth]; var w = new double[ProbeDepth * ProbeCols]; var z = new double[ProbeRows * ProbeCols];
        var g = new double[ProbeDepth * ProbeCols];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 13) * 0.07;
        for (int i = 0; i < w.Length; i++) w[i] = (i % 7) * 0.01;
        void Step(ILinearAlgebraProvider p)
        {
            p.Gemm(false, false, ProbeRows, ProbeCols, ProbeDepth, 1.0, x, ProbeDepth, w, ProbeCols, 0.0, z, ProbeCols);
            p.Gemm(true, false, ProbeDepth, ProbeCols, ProbeRows, 1.0, x, ProbeDepth, z, ProbeCols, 0.0, g, ProbeCols);
        }
        foreach (var p in providers) Step(p);
        var times = providers.Select(_ => new double[Repeats]).ToArray();
        for (int r = 0; r < Repeats; r++)
            for (int q = 0; q < providers.Count; q++)
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                Step(providers[q]);
                times[q][r] = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
        return times.Select(t => { Array.Sort(t); return t[Repeats / 2]; }).ToArray();
    }

    private static string Measure(IReadOnlyList<ILinearAlgebraProvider> providers, string file, string key)
    {
        var seconds = Time(providers);
        var timed = providers.Select((p, i) => (p.Name, Seconds: seconds[i])).OrderBy(t => t.Seconds).ToList();
        var managed = timed.FirstOrDefault(t => t.Name == "managed");
        var best = managed.Name != null && timed[0].Name != "managed" && timed[0].Seconds * RequiredSpeedup > managed.Seconds ? managed : timed[0];
        string verdict = $"{best.Name} (GEMM probe {ProbeRows}×{ProbeDepth}×{ProbeCols} float64: " +
                         string.Join(", ", timed.Select(t => $"{t.Name} {t.Seconds * 1e3:F2} ms")) + ")";
        WriteCache(file, key, verdict);
        return verdict;
    }

    /// <summary>What the verdict depends on, as one line.</summary>
    private static string MachineKey(IEnumerable<ILinearAlgebraProvider> providers, int? threads)
    {
        string cpu = "unknown";
        try { cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu; }
        catch (IOException) { } catch (UnauthorizedAccessException) { }
        var blas = providers.OfType<NativeBlasProvider>().Select(n => $"{n.Library}/{n.CoreName}");
        var env = Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("OPENBLAS_")).Order()
            .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}");
        return string.Join(";", [$"cpu={cpu}", $"cores={Environment.ProcessorCount}", $"threads={threads?.ToString() ?? "all"}",
            $"backends={string.Join(",", providers.Select(p => p.Name))}", .. blas, .. env, "probe=v2"]);
    }

    private static string CachePath()
    {
        string root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "heavytail", "backend-probe.tsv");
    }

    /// <summary>The cached verdict for this machine key, or null (missing, unreadable or corrupt cache: measure again).</summary>
    private static string? ReadCache(string path, string key)
    {
        try
        {
            if (!File.Exists(path)) return null;
            return File.ReadLines(path).Select(l => l.Split('\t')).FirstOrDefault(f => f.Length == 2 && f[0] == key)?[1];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static void WriteCache(string path, string key, string verdict)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var lines = File.Exists(path) ? File.ReadLines(path).Where(l => !l.StartsWith(key + "\t")).ToList() : [];
            lines.Add($"{key}\t{verdict}");
            IO.AtomicFile.WriteAllText(path, string.Join("\n", lines) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a cache that cannot be written: measure next time
    }
}
