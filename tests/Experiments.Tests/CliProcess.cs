using System.Diagnostics;

namespace HeavyTail.Experiments.Tests;

/// <summary>
/// Runs the CLI as a separate process (the heavytail.dll built beside the tests, through bash so a test can redirect or
/// close its streams), for what an in-process call cannot show: the process's culture, signals, its standard streams.
/// </summary>
public static class CliProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "heavytail.dll");

    /// <summary>Starts `dotnet heavytail.dll ARGS REDIRECT` with <paramref name="env"/> set (a null value removes a variable).</summary>
    public static Process Start(IReadOnlyDictionary<string, string?>? env, string redirect, params string[] args) => Start(env, redirect, [], args);

    /// <summary>As above, with <paramref name="wrapper"/> (a command and its arguments, e.g. unshare …) running env dotnet ….</summary>
    public static Process Start(IReadOnlyDictionary<string, string?>? env, string redirect, string[] wrapper, string[] args)
    {
        var psi = new ProcessStartInfo("/bin/bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec \"$@\" {redirect}");
        psi.ArgumentList.Add("bash");
        foreach (var w in wrapper) psi.ArgumentList.Add(w);
        // the environment is set by env(1) for dotnet alone: bash itself would warn about a locale this machine lacks
        psi.ArgumentList.Add("env");
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
            if (v == null) { psi.ArgumentList.Add("-u"); psi.ArgumentList.Add(k); }
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
            if (v != null) psi.ArgumentList.Add($"{k}={v}");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static (int Code, string Out, string Err) Run(IReadOnlyDictionary<string, string?>? env, params string[] args) => RunRedirected(env, "", args);

    /// <summary>Runs with the shell redirection <paramref name="redirect"/> (e.g. "&gt;&amp;-", "&gt;/dev/full") applied to heavytail.</summary>
    public static (int Code, string Out, string Err) RunRedirected(IReadOnlyDictionary<string, string?>? env, string redirect, params string[] args)
    {
        using var p = Start(env, redirect, args);
        return Wait(p, TimeSpan.FromMinutes(3));
    }

    /// <summary>Waits for the process (killing it after <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static (int Code, string Out, string Err) Wait(Process p, TimeSpan timeout)
    {
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"heavytail did not end within {timeout}: {e.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>Sends a signal (TERM, INT) to the process, as `kill -SIGNAL pid` does.</summary>
    public static void Signal(Process p, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { UseShellExecute = false, ArgumentList = { $"-{signal}", p.Id.ToString() } })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits (up to <paramref name="seconds"/>) until <paramref name="ready"/> holds, e.g. a file the run writes first.</summary>
    public static void WaitUntil(Func<bool> ready, Process p, double seconds = 120)
    {
        var sw = Stopwatch.StartNew();
        while (!ready())
        {
            if (p.HasExited) throw new InvalidOperationException($"heavytail ended (exit {p.ExitCode}) before it was ready: {p.StandardError.ReadToEnd()}");
            if (sw.Elapsed.TotalSeconds > seconds) throw new TimeoutException("heavytail was not ready in time.");
            Thread.Sleep(50);
        }
    }
}
