using System.Diagnostics;
using HeavyTail.Experiments.Cli;

namespace HeavyTail.Experiments.Tests;

/// <summary>Fault class 4: Ctrl-C (the command's token) stops every long command within about a second, exit 130, with a truthful last line.</summary>
public class InterruptTests
{
    /// <summary>Long commands (minutes uninterrupted), the --out they take, and whether they keep finished runs to resume from.</summary>
    public static TheoryData<string[], bool> LongCommands() => new()
    {
        { ["flow", "--problem", "ht-random", "--m", "6", "--flow", "gradient", "--t-end", "1e6", "--rtol", "1e-13", "--atol", "1e-15", "--max-steps", "100000000"], false },
        { ["train", "--problem", "ht-random", "--m", "6", "--optimizer", "adam", "--lr", "1e-3", "--steps", "100000000", "--log-every", "1000"], false },
        { ["compare", "--problem", "ht-random", "--m", "5", "--optimizer", "gd", "--lr", "0.1", "--steps", "100000000"], false },
        { ["grid", "--problem", "ht-random", "--m", "6", "--optimizer", "adam", "--steps", "100000000", "--lrs", "0.1"], true },
        { ["run", "flows", "--scale", "paper"], true },
        { ["flow", "--problem", "one-hot", "--classes", "300", "--flow", "adam", "--t-end", "1e9", "--rtol", "1e-13", "--atol", "1e-15", "--max-steps", "100000000"], false },
        // the spectra of stats (issue 25 B: they ran 10–25 s past Ctrl-C): Lanczos, Hutchinson, SLQ, each minutes long here
        { ["stats", "--problem", "ht-random", "--m", "6", "--top-eigenvalues", "30", "--eigen-tolerance", "1e-14"], false },
        { ["stats", "--problem", "ht-random", "--m", "6", "--trace-samples", "10000000"], false },
        { ["stats", "--problem", "ht-random", "--m", "6", "--density", "--density-runs", "100000"], false },
    };

    /// <summary>Block spectra (about a second at this size, too short to interrupt midway reliably): an interrupt before them writes nothing.</summary>
    [Fact]
    public void Block_spectra_check_the_interrupt()
    {
        string dir = CliHarness.TempDir();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var r = CliHarness.Run(cts.Token, "stats", "--problem", "ht-random", "--m", "6", "--block-spectra", "--out", dir, "--quiet");
        Assert.True(r.Code == HeavyTailCli.InterruptedExit, r.Err);
        Assert.False(File.Exists(Path.Combine(dir, "stats.json")));
    }

    [Theory]
    [MemberData(nameof(LongCommands))]
    public void A_long_command_stops_soon_after_the_interrupt_and_says_what_was_kept(string[] command, bool resumable)
    {
        foreach (int afterMs in new[] { 0, 700 })
        {
            string dir = CliHarness.TempDir();
            using var cts = new CancellationTokenSource();
            if (afterMs == 0) cts.Cancel(); else CancelAfter(cts, afterMs);
            var sw = Stopwatch.StartNew();
            var r = CliHarness.Run(cts.Token, [.. command, "--out", dir, "--quiet"]);
            double late = sw.Elapsed.TotalSeconds - afterMs / 1000.0;
            Assert.True(r.Code == HeavyTailCli.InterruptedExit, $"{string.Join(' ', command)} after {afterMs} ms: exit {r.Code}; {r.Err}");
            // about a second on an idle machine; the bound leaves room for a loaded 2-core test runner
            Assert.True(late < 5, $"{command[0]} stopped {late:F1} s after the interrupt");
            string line = Assert.Single(r.Err.Trim().Split('\n'));
            Assert.StartsWith("interrupted: ", line);
            if (resumable) Assert.Contains("rerun the same command to resume", line);
            else
            {
                Assert.Contains("nothing was kept", line);
                Assert.DoesNotContain(Directory.GetFiles(dir, "*", SearchOption.AllDirectories), f => !Path.GetFileName(f).StartsWith('.'));
            }
        }
    }

    /// <summary>
    /// Cancels from a thread of its own, as the Ctrl-C handler does: CancellationTokenSource.CancelAfter fires through a
    /// thread-pool work item, which a test host whose few pool threads are all blocked (xunit's runner waits on two of
    /// them on a 2-core machine) may never run, and the command under test would then train for ever.
    /// </summary>
    private static void CancelAfter(CancellationTokenSource cts, int ms)
    {
        var t = new Thread(() =>
        {
            Thread.Sleep(ms);
            try { cts.Cancel(); } catch (ObjectDisposedException) { } // the command ended first (the test then fails on its exit code)
        }) { IsBackground = true, Name = "interrupt" };
        t.Start();
    }

    /// <summary>
    /// bench (issue 25 B): the timing loops, the GEMM and FMA probes and the grid/spectra timings check the token; with
    /// --reps this large the step's timing runs for ever, so only the interrupt ends it; --out is written by none of them.
    /// </summary>
    [Fact]
    public void Bench_stops_soon_after_the_interrupt_and_writes_no_out()
    {
        string dir = CliHarness.TempDir();
        string json = Path.Combine(dir, "bench.jsonl");
        foreach (int afterMs in new[] { 0, 700 })
        {
            using var cts = new CancellationTokenSource();
            if (afterMs == 0) cts.Cancel(); else CancelAfter(cts, afterMs);
            var sw = Stopwatch.StartNew();
            var r = CliHarness.Run(cts.Token, "bench", "--no-peers", "--sizes", "7", "--backends", "cpu", "--dtype", "float64", "--reps", "100000000", "--out", json, "--quiet");
            double late = sw.Elapsed.TotalSeconds - afterMs / 1000.0;
            Assert.True(r.Code == HeavyTailCli.InterruptedExit, $"bench after {afterMs} ms: exit {r.Code}; {r.Err}");
            Assert.True(late < 5, $"bench stopped {late:F1} s after the interrupt");
            Assert.StartsWith("interrupted: ", Assert.Single(r.Err.Trim().Split('\n')));
            Assert.Empty(Directory.GetFiles(dir, "*", SearchOption.AllDirectories));
        }
    }

    /// <summary>
    /// plot of a large CSV (issue 25 B): one million rows take seconds to read (the reader checks the token every 4096
    /// lines) and tens of seconds to draw (the drawing is abandoned on an interrupt); neither the PNG nor the SVG is written.
    /// </summary>
    [Fact]
    public void Plot_of_a_large_file_stops_soon_after_the_interrupt_and_writes_no_picture()
    {
        string dir = CliHarness.TempDir(), csv = Path.Combine(dir, "big.csv"), outDir = Path.Combine(dir, "fig");
        using (var w = new StreamWriter(csv))
        {
            w.Write("step,loss,group_0,group_1\n");
            for (int i = 0; i < 1_000_000; i++) w.Write($"{i},{1.0 / (i + 1):R},{0.5 / (i + 1):R},{2.0 / (i + 1):R}\n");
        }
        try
        {
            foreach (int afterMs in new[] { 0, 700 })
            {
                using var cts = new CancellationTokenSource();
                if (afterMs == 0) cts.Cancel(); else CancelAfter(cts, afterMs);
                var sw = Stopwatch.StartNew();
                var r = CliHarness.Run(cts.Token, "plot", csv, "--out", Path.Combine(outDir, "big.png"), "--quiet");
                double late = sw.Elapsed.TotalSeconds - afterMs / 1000.0;
                Assert.True(r.Code == HeavyTailCli.InterruptedExit, $"plot after {afterMs} ms: exit {r.Code}; {r.Err}");
                Assert.True(late < 5, $"plot stopped {late:F1} s after the interrupt");
                Assert.StartsWith("interrupted: ", Assert.Single(r.Err.Trim().Split('\n')));
                Assert.True(!Directory.Exists(outDir) || Directory.GetFiles(outDir).Length == 0, "a picture or a temporary was left");
            }
        }
        finally { File.Delete(csv); }
    }

    [Fact]
    public void An_interrupted_grid_resumes_to_the_uninterrupted_answer()
    {
        string dir = CliHarness.TempDir(), whole = CliHarness.TempDir();
        string[] args = ["grid", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--steps", "30", "--quiet"];
        using (var cts = new CancellationTokenSource())
        {
            cts.Cancel();
            Assert.Equal(130, CliHarness.Run(cts.Token, [.. args, "--out", dir]).Code);
        }
        Assert.Equal(0, CliHarness.Run([.. args, "--out", dir]).Code);
        Assert.Equal(0, CliHarness.Run([.. args, "--out", whole]).Code);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "best.json")), File.ReadAllText(Path.Combine(dir, "best.json")));
    }
}
