using System.Diagnostics;
using HeavyTail.Experiments.Cli;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Tests;

/// <summary>
/// Fault class B (issue 25): SIGTERM (kill, SLURM's scancel and time limit) is handled as Ctrl-C. The CLI runs as a
/// process; once it holds its output folder it gets SIGTERM and must stop within seconds with exit 143, the
/// "interrupted: …" last line, its .heavytail.holder removed, and (grid, reproduce) a rerun that resumes.
/// </summary>
public class SignalTests
{
    public static TheoryData<string[], bool> LongCommands() => new()
    {
        { ["train", "--problem", "ht-random", "--m", "6", "--optimizer", "adam", "--lr", "1e-3", "--steps", "100000000", "--log-every", "1000"], false },
        { ["flow", "--problem", "ht-random", "--m", "6", "--flow", "gradient", "--t-end", "1e6", "--rtol", "1e-13", "--atol", "1e-15", "--max-steps", "100000000"], false },
        { ["grid", "--problem", "ht-random", "--m", "6", "--optimizer", "adam", "--steps", "100000000", "--lrs", "0.1"], true },
        { ["reproduce", "--scale", "small"], true },
    };

    [Theory]
    [MemberData(nameof(LongCommands))]
    public void Sigterm_stops_a_long_command_like_ctrl_c_and_releases_its_folder(string[] command, bool resumable)
    {
        string dir = CliHarness.TempDir();
        using var p = CliProcess.Start(null, "", [.. command, "--out", dir, "--quiet"]);
        CliProcess.WaitUntil(() => File.Exists(Path.Combine(dir, OutputFolder.HolderName)), p);
        Thread.Sleep(500); // into its computation
        var sw = Stopwatch.StartNew();
        CliProcess.Signal(p, "TERM");
        var r = CliProcess.Wait(p, TimeSpan.FromMinutes(2));
        Assert.True(r.Code == HeavyTailCli.TerminatedExit, $"{command[0]}: exit {r.Code}; {r.Err}");
        // about a second on an idle machine; the bound leaves room for a loaded 2-core test runner
        Assert.True(sw.Elapsed.TotalSeconds < 10, $"{command[0]} stopped {sw.Elapsed.TotalSeconds:F1} s after SIGTERM");
        var lines = r.Err.Trim().Split('\n');
        Assert.StartsWith("stopping… (SIGTERM", lines[0]);
        Assert.StartsWith("interrupted: ", lines[^1]);
        Assert.Contains(resumable ? "rerun the same command to resume" : "nothing was kept", lines[^1]);
        Assert.False(File.Exists(Path.Combine(dir, OutputFolder.HolderName)), ".heavytail.holder left behind");
        if (!resumable) Assert.DoesNotContain(Directory.GetFiles(dir, "*", SearchOption.AllDirectories), f => !Path.GetFileName(f).StartsWith('.'));
    }

    [Fact]
    public void A_grid_stopped_by_sigterm_resumes_to_the_uninterrupted_answer()
    {
        string dir = CliHarness.TempDir(), whole = CliHarness.TempDir();
        string[] args = ["grid", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--steps", "40000", "--quiet"];
        using (var p = CliProcess.Start(null, "", [.. args, "--out", dir]))
        {
            // the coarse grid's runs (trained together) are cached; the refinement's run (seconds here) is under way
            CliProcess.WaitUntil(() => Directory.Exists(Path.Combine(dir, "_cache")) && Directory.GetFiles(Path.Combine(dir, "_cache"), "*.json").Length > 0, p);
            CliProcess.Signal(p, "TERM");
            var r = CliProcess.Wait(p, TimeSpan.FromMinutes(2));
            Assert.True(r.Code == HeavyTailCli.TerminatedExit, $"exit {r.Code}; {r.Err}");
            Assert.Contains("rerun the same command to resume", r.Err);
        }
        Assert.False(File.Exists(Path.Combine(dir, "best.json")));
        var resumed = CliProcess.Run(null, [.. args, "--out", dir]);
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Equal(0, CliHarness.Run([.. args, "--out", whole]).Code);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "best.json")), File.ReadAllText(Path.Combine(dir, "best.json")));
    }
}
