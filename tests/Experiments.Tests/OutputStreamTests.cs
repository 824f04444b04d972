using System.Diagnostics;

namespace HeavyTail.Experiments.Tests;

/// <summary>
/// Fault class C (issue 25): error messages name the real cause. A read-only --out is not "in use by another run";
/// stdout that cannot be written (closed, on a full disk) does not stop the computation. The CLI runs as a process.
/// </summary>
public class OutputStreamTests
{
    private static readonly string[] Train = ["train", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--lr", "0.1", "--steps", "20"];

    [Theory]
    [InlineData(">&-")]
    [InlineData(">/dev/full")]
    public void Stdout_that_cannot_be_written_does_not_stop_training(string redirect)
    {
        string dir = CliHarness.TempDir();
        var r = CliProcess.RunRedirected(null, redirect, [.. Train, "--out", dir]);
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Err}");
        foreach (var f in new[] { "run.json", "trajectory.csv", "W.npy" }) Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Equal(22, File.ReadAllLines(Path.Combine(dir, "trajectory.csv")).Length); // the header and steps 0..20
        string line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.StartsWith("note: stdout could not be written (", line);
    }

    [Fact]
    public void A_folder_on_a_read_only_file_system_is_called_read_only_not_in_use()
    {
        string root = CliHarness.TempDir(), existing = Path.Combine(root, "existing");
        Directory.CreateDirectory(existing);
        File.WriteAllText(Path.Combine(existing, ".heavytail.lock"), ""); // as a run before the file system became read-only left it
        string[] wrapper;
        bool readOnlyMount = Probe("unshare", "-rm", "true");
        if (readOnlyMount)
            // a private mount namespace (no privileges needed) in which root is bind-mounted read-only
            wrapper = ["unshare", "-rm", "bash", "-c", "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"", root];
        else
        {
            Assert.True(!OperatingSystem.IsWindows() && Environment.UserName != "root", "this test needs `unshare -rm` (user namespaces) or a user other than root (for chmod)");
#pragma warning disable CA1416 // not Windows: asserted above
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            File.SetUnixFileMode(existing, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            wrapper = [];
#pragma warning restore CA1416
        }
        var sw = Stopwatch.StartNew();
        using var p = CliProcess.Start(null, "", wrapper, [.. Train, "--out", existing]);
        var r = CliProcess.Wait(p, TimeSpan.FromMinutes(2));
        Assert.Equal(2, r.Code);
        string line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.DoesNotContain("in use", line);
        Assert.StartsWith($"error: --out {existing} ", line);
        Assert.Contains(readOnlyMount ? "is on a read-only file system; choose a writable --out" : "cannot write there", line);
        // a fresh folder there is refused as read-only too
        using var q = CliProcess.Start(null, "", wrapper, [.. Train, "--out", Path.Combine(root, "new")]);
        var r2 = CliProcess.Wait(q, TimeSpan.FromMinutes(2));
        Assert.Equal(2, r2.Code);
        Assert.Contains(readOnlyMount ? "Read-only file system" : "denied", Assert.Single(r2.Err.Trim().Split('\n')));
    }

    private static bool Probe(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}
