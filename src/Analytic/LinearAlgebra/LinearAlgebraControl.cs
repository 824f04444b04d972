namespace HeavyTail.Analytic.LinearAlgebra;

/// <summary>
/// Chooses the linear-algebra backend used by src/Analytic (as MathNet.Numerics' Control does for its providers).
/// The managed provider is the default and always available; <see cref="Use"/> selects by name.
/// </summary>
public static class LinearAlgebraControl
{
    private static ILinearAlgebraProvider _provider = new ManagedLinearAlgebraProvider();
    private static readonly Dictionary<string, Func<ILinearAlgebraProvider?>> Extra = new();

    public static ILinearAlgebraProvider Provider
    {
        get => _provider;
        set => _provider = value ?? throw new ArgumentNullException(nameof(value));
    }

    public static void UseManaged() => _provider = new ManagedLinearAlgebraProvider();

    /// <summary>Registers another backend (e.g. "gpu" from src/Gpu); the factory returns null when it is unavailable.</summary>
    public static void Register(string name, Func<ILinearAlgebraProvider?> factory) { lock (Extra) Extra[name] = factory; }

    /// <summary>
    /// cpu (managed), native (system OpenBLAS), a registered backend (gpu), or auto: the first available of native, cpu.
    /// Returns the provider chosen; an unavailable explicit choice is an error that says what to install.
    /// </summary>
    public static ILinearAlgebraProvider Use(string name)
    {
        ILinearAlgebraProvider? p = name switch
        {
            "cpu" or "managed" => new ManagedLinearAlgebraProvider(),
            "native" => NativeBlasProvider.TryCreate()
                ?? throw new ArgumentException("backend 'native' needs a system OpenBLAS (Debian: apt-get install libopenblas0-pthread); use --backend cpu."),
            "auto" => (ILinearAlgebraProvider?)NativeBlasProvider.TryCreate() ?? new ManagedLinearAlgebraProvider(),
            _ => Extra.TryGetValue(name, out var f) ? f() ?? throw new ArgumentException($"backend '{name}' is not available on this machine; use --backend cpu.")
                : throw new ArgumentException($"unknown backend '{name}'; choose cpu, native, {string.Join(", ", Extra.Keys.Append("auto"))}."),
        };
        return _provider = p!;
    }
}
