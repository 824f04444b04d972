using System.Runtime.InteropServices;
using HeavyTail.Analytic.IO;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Torch;

/// <summary>What <see cref="TorchRuntime.Prepare"/> found and did.</summary>
public sealed record TorchRuntimeStatus(string Library, string? StdCxx, IReadOnlyList<string> Missing, bool Patched, string Message);

/// <summary>
/// Makes TorchSharp's native library loadable before the first <c>torch.*</c> call.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> was linked against GCC 13's libstdc++ and requires the symbol version
/// GLIBCXX_3.4.32 for one symbol, <c>std::ios_base_library_init()</c>, which GCC 13's &lt;iostream&gt; references with a bare
/// <c>.globl</c> (no relocation uses it; it only pulls the iostream initialiser into static links). Debian 12's libstdc++
/// stops at GLIBCXX_3.4.30, so the dynamic loader rejects the library and TorchSharp's type initialiser throws.
/// The fix, applied only when the system libstdc++ lacks a required version and no relocation refers to a symbol of
/// that version: set VER_FLG_WEAK on that requirement in the project's own copy of the library (next to the program;
/// the original is kept as <c>libLibTorchSharp.so.orig</c>; <c>heavytail torch --revert</c> restores it, and a rebuild
/// copies the package's file again). A weak version requirement makes the loader accept the library; since nothing
/// binds the symbol, nothing else changes. On a system whose libstdc++ has the version nothing is done. If a missing
/// version is used by a relocation the library cannot work here and the error says to install a newer libstdc++.
/// </remarks>
public static class TorchRuntime
{
    public const string LibraryName = "libLibTorchSharp.so";
    private static readonly Lock Gate = new();

    /// <summary>The project's copy of the native library, or null when this build has none (not linux-x64).</summary>
    public static string? LocateLibrary(string? baseDir = null)
    {
        baseDir ??= AppContext.BaseDirectory;
        foreach (var p in new[] { Path.Combine(baseDir, "runtimes", "linux-x64", "native", LibraryName), Path.Combine(baseDir, LibraryName) })
            if (File.Exists(p)) return p;
        return null;
    }

    /// <summary>The libtorch version TorchSharp 0.107 is built against (the NuGet package libtorch-cpu-linux-x64 of that version).</summary>
    public const string LibTorchVersion = "2.10.0";

    /// <summary>
    /// On Linux, when this build has no libtorch next to the program and the loader finds none (LD_LIBRARY_PATH, system paths) (the .NET tool package HeavyTail.Cli
    /// leaves its ≈ 600 MB out), the one line that says how to enable the TorchSharp recipes; null when libtorch is there.
    /// </summary>
    /// <param name="baseDir">the program's folder (default: this process's).</param>
    /// <param name="probeSystem">also ask the loader for a libtorch_cpu.so on the system paths (false after a failed load:
    /// a system libtorch of another version, e.g. Debian's 1.13, does not count).</param>
    public static string? LibTorchHint(string? baseDir = null, bool probeSystem = true)
    {
        baseDir ??= AppContext.BaseDirectory;
        var dirs = new List<string> { baseDir, Path.Combine(baseDir, "runtimes", "linux-x64", "native") };
        dirs.AddRange((Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        if (!OperatingSystem.IsLinux() || dirs.Any(d => File.Exists(Path.Combine(d, "libtorch_cpu.so"))) || (probeSystem && NativeLibrary.TryLoad("libtorch_cpu.so", out _)))
            return null;
        return $"this heavytail has no libtorch (the .NET tool leaves its 600 MB out): to run the TorchSharp recipes, restore the NuGet package libtorch-cpu-linux-x64 {LibTorchVersion} " +
               $"(e.g. `dotnet add package libtorch-cpu-linux-x64 --version {LibTorchVersion}` in any project) and " +
               $"`export LD_LIBRARY_PATH=$HOME/.nuget/packages/libtorch-cpu-linux-x64/{LibTorchVersion}/runtimes/linux-x64/native`, or run `./heavytail` from a clone of the repository.";
    }

    /// <summary>The libstdc++.so.6 the dynamic loader gives this process (found through dladdr on one of its symbols).</summary>
    public static string? LocateStdCxx()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libstdc++.so.6", out var h)) return null;
        if (!NativeLibrary.TryGetExport(h, "_ZSt9terminatev", out var sym)) return null;
        return dladdr(sym, out var info) != 0 && info.dli_fname != 0 ? Marshal.PtrToStringUTF8(info.dli_fname) : null;
    }

    /// <summary>Requirements of <paramref name="library"/> on libstdc++ that <paramref name="defined"/> lacks and that are not weak.</summary>
    public static IReadOnlyList<VersionNeed> MissingVersions(ElfVersionNeeds library, IReadOnlySet<string> defined) =>
        library.Needs().Where(n => n.File == "libstdc++.so.6" && !n.IsWeak && !defined.Contains(n.Version)).ToList();

    /// <summary>
    /// Checks the library against the system libstdc++ and applies the weak-version fix when it is needed and safe.
    /// Idempotent (a second call finds the fix in place and reads one ELF file again; no state is kept). Throws <see cref="UserError"/> when TorchSharp cannot run here.
    /// </summary>
    public static TorchRuntimeStatus Prepare(Action<string>? log = null)
    {
        lock (Gate)
        {
            var lib = LocateLibrary();
            if (lib == null || !OperatingSystem.IsLinux())
                return new TorchRuntimeStatus(lib ?? LibraryName, null, [], false, "no linux-x64 native library in this build; TorchSharp loads as packaged.");
            var stdcxx = LocateStdCxx();
            if (stdcxx == null)
                return new TorchRuntimeStatus(lib, null, [], false, "libstdc++.so.6 not found; TorchSharp loads as packaged.");
            var status = Apply(lib, ElfVersionNeeds.Read(stdcxx).Definitions(), stdcxx);
            if (status.Patched) log?.Invoke(status.Message);
            return status;
        }
    }

    /// <summary>The decision and the fix for one library file against a set of defined versions (testable without loading anything).</summary>
    public static TorchRuntimeStatus Apply(string libraryPath, IReadOnlySet<string> defined, string stdcxxPath)
    {
        var elf = ElfVersionNeeds.Read(libraryPath);
        var missing = MissingVersions(elf, defined);
        if (missing.Count == 0)
        {
            var weak = elf.Needs().Where(n => n.File == "libstdc++.so.6" && n.IsWeak && !defined.Contains(n.Version)).Select(n => n.Version).ToList();
            return new TorchRuntimeStatus(libraryPath, stdcxxPath, [], false, weak.Count > 0
                ? $"fix in place: {string.Join(", ", weak)} is a weak requirement in this build's copy ({stdcxxPath} lacks it; `heavytail torch --revert` undoes the fix)."
                : $"{stdcxxPath} provides every version {Path.GetFileName(libraryPath)} requires; nothing to do.");
        }
        var names = missing.Select(m => m.Version).ToList();
        var bound = missing.SelectMany(m => elf.RelocatedSymbolsOfVersion(m.Index)).ToList();
        string newest = defined.Where(v => v.StartsWith("GLIBCXX_3.4.", StringComparison.Ordinal)).OrderBy(v => int.Parse(v[12..])).LastOrDefault() ?? "none";
        if (bound.Count > 0)
            throw new UserError($"TorchSharp's {Path.GetFileName(libraryPath)} needs {string.Join(", ", names)} of libstdc++ for {string.Join(", ", bound.Take(3))}, " +
                                $"but {stdcxxPath} stops at {newest}: install libstdc++ from GCC ≥ 13 (e.g. `apt-get install -t trixie libstdc++6`) to use the torch recipes.");
        string orig = libraryPath + ".orig";
        if (!File.Exists(orig)) AtomicFile.WriteAllBytes(orig, elf.Bytes);
        AtomicFile.WriteAllBytes(libraryPath, elf.WithWeak(missing));
        return new TorchRuntimeStatus(libraryPath, stdcxxPath, names, true,
            $"TorchSharp: {Path.GetFileName(libraryPath)} requires {string.Join(", ", names)} (GCC 13's libstdc++) only for std::ios_base_library_init(), which nothing calls; " +
            $"{stdcxxPath} stops at {newest}, so the requirement was made weak in this build's copy ({libraryPath}; original kept as .orig, `heavytail torch --revert` undoes it).");
    }

    /// <summary>Restores the original library saved by the fix; false when there is nothing to restore.</summary>
    public static bool Revert(string? libraryPath = null)
    {
        libraryPath ??= LocateLibrary();
        if (libraryPath == null || !File.Exists(libraryPath + ".orig")) return false;
        lock (Gate) File.Move(libraryPath + ".orig", libraryPath, overwrite: true);
        return true;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo { public nint dli_fname, dli_fbase, dli_sname, dli_saddr; }

    [DllImport("libc", EntryPoint = "dladdr")]
    private static extern int dladdr(nint addr, out DlInfo info);
}
