using System.Diagnostics;
using System.Text.Json;

namespace HeavyTail.Experiments.Runs.Benchmarks;

/// <summary>
/// The PyTorch/NumPy peers of bench/peers.py, run as a child process with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
/// from its environment (the peers at their best: OpenBLAS picks its own kernels for this CPU). Each call returns the
/// script's JSON lines, or none with one message when it cannot run.
/// </summary>
public sealed class PythonPeers(string repositoryRoot, Action<string>? log, CancellationToken cancel)
{
    /// <summary>The peers' step times per size, timing as many steps as bench does (≈ 1 s worth for small sizes, fewer for the large ones).</summary>
    public List<JsonElement> Steps(IReadOnlyList<int> sizes, IReadOnlyList<string> dtypes) =>
        sizes.SelectMany(m => Run("bench/peers.py", ["step", "--m", m.ToString(), "--dtypes", string.Join(',', dtypes),
            "--impls", "torch_autograd,torch_manual,numpy_manual", "--steps", (m <= 7 ? 101 : m <= 9 ? 7 : 3).ToString()])).ToList();

    /// <summary>R GD runs of <paramref name="steps"/> steps one after another in the peers (peers.py grid).</summary>
    public List<JsonElement> Grid(IReadOnlyList<int> sizes, IReadOnlyList<string> dtypes, int runs, int steps) =>
        Run("bench/peers.py", ["grid", "--m", string.Join(',', sizes), "--dtypes", string.Join(',', dtypes), "--runs", runs.ToString(), "--steps", steps.ToString()]);

    /// <summary>Runs a peer script (path relative to the repository root) and returns its JSON lines; [] with a message when it cannot run.</summary>
    public List<JsonElement> Run(string relative, IReadOnlyList<string> args)
    {
        string script = Path.GetFullPath(Path.Combine(repositoryRoot, relative));
        if (!File.Exists(script) || !File.Exists("/usr/bin/python3"))
        {
            log?.Invoke($"PyTorch/NumPy column skipped: {relative} or /usr/bin/python3 not found (run bench/setup.sh).");
            return [];
        }
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(script)! };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        psi.Environment.Remove("OPENBLAS_L2_SIZE");
        cancel.ThrowIfCancellationRequested();
        using var proc = Process.Start(psi)!;
        // an interrupt kills the peer (and whatever it started) instead of waiting for its timings
        using (cancel.Register(() => { try { proc.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
        {
            var errTask = proc.StandardError.ReadToEndAsync();
            string output = proc.StandardOutput.ReadToEnd();
            string err = errTask.Result;
            proc.WaitForExit();
            cancel.ThrowIfCancellationRequested();
            if (proc.ExitCode != 0)
            {
                log?.Invoke($"PyTorch/NumPy column skipped: {Path.GetFileName(script)} {Failure(proc.ExitCode, err)}");
                return [];
            }
            return output.Split('\n').Where(l => l.StartsWith("{\"m\"")).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        }
    }

    /// <summary>
    /// Why a peer failed, in words: killed by a signal (exit status 128 + N: its name, and for SIGKILL the usual cause, the
    /// kernel's out-of-memory killer) — not a setup problem; else its first error line and the setup hint.
    /// </summary>
    public static string Failure(int exitCode, string stderr)
    {
        if (exitCode > 128 && SignalName(exitCode - 128) is { } signal)
            return $"was killed by {signal} (exit {exitCode}){(signal == "SIGKILL" ? ", most likely by the kernel's out-of-memory killer: try smaller --sizes" : "")}.";
        string? line = stderr.Split('\n').FirstOrDefault(l => l.Contains("Error"));
        return $"failed ({line?.Trim() ?? "exit " + exitCode}); run bench/setup.sh.";
    }

    /// <summary>The POSIX name of a signal number that ends a process (null for others).</summary>
    public static string? SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL",
        11 => "SIGSEGV", 13 => "SIGPIPE", 14 => "SIGALRM", 15 => "SIGTERM", 24 => "SIGXCPU", 25 => "SIGXFSZ",
        _ => null,
    };
}
