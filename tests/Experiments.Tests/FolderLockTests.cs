using System.Diagnostics;
using System.Text.Json;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Tests;

/// <summary>Fault class 5: one command at a time per output folder (advisory lock naming the holder); a dead holder's lock is taken over.</summary>
public class FolderLockTests
{
    /// <summary>The commands that write an output folder: <see cref="OutputPathTests.Commands"/> but plot (it writes a file), and reproduce.</summary>
    public static TheoryData<string[]> Writers()
    {
        var data = new TheoryData<string[]>();
        foreach (var args in OutputPathTests.Commands())
            if (args[0] != "plot") data.Add(args);
        data.Add(["reproduce", "--scale", "tiny"]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public void A_second_command_into_a_held_folder_is_refused_naming_the_holder(string[] command)
    {
        string dir = CliHarness.TempDir();
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "mine");
        using (OutputFolder.Claim(dir, command[0]))
        {
            var r = CliHarness.Run([.. command, "--out", dir, "--quiet"]);
            Assert.Equal(2, r.Code);
            string line = Assert.Single(r.Err.Trim().Split('\n'));
            Assert.Matches($@"^error: --out .* is in use by heavytail pid {Environment.ProcessId} \({command[0]}, since [0-9: -]+\); wait for it to finish or choose another --out\.$", line);
            Assert.Equal(["keep.txt"], Directory.GetFiles(dir).Select(Path.GetFileName).Where(f => !f!.StartsWith('.')));
        }
        // released: the same command now runs
        var ok = CliHarness.Run([.. command, "--out", dir, "--quiet"]);
        Assert.True(ok.Code == 0, ok.Err);
        Assert.False(File.Exists(Path.Combine(dir, OutputFolder.HolderName)));
    }

    [Fact]
    public void A_lock_left_by_a_dead_process_is_taken_over_with_a_note()
    {
        using var dead = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        dead.WaitForExit();
        foreach (var leftover in new[] { "lock and holder", "holder only", "garbage holder" })
        {
            string dir = CliHarness.TempDir();
            if (leftover != "holder only") File.WriteAllText(Path.Combine(dir, OutputFolder.LockName), "");
            File.WriteAllText(Path.Combine(dir, OutputFolder.HolderName), leftover == "garbage holder" ? "\u0000zz" : $"{dead.Id}\ntrain\n2026-01-01 00:00:00\n");
            var r = CliHarness.Run("train", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--lr", "1", "--steps", "5", "--out", dir, "--quiet");
            Assert.True(r.Code == 0, r.Err);
            if (leftover == "garbage holder") Assert.Empty(r.Err);
            else Assert.Equal($"note: took over {dir} from heavytail pid {dead.Id} (train, since 2026-01-01 00:00:00), which is no longer running.", r.Err.Trim());
            Assert.False(File.Exists(Path.Combine(dir, OutputFolder.HolderName)));
        }
    }

    [Fact]
    public async Task Two_trains_started_together_never_mix_their_outputs()
    {
        string reference = CliHarness.TempDir();
        string[] Args(string lr, string dir) => ["train", "--problem", "ht-random", "--m", "4", "--optimizer", "gd", "--lr", lr, "--steps", "200", "--out", dir, "--quiet"];
        var expected = new Dictionary<string, string>();
        foreach (var lr in new[] { "1", "0.1" })
        {
            string d = CliHarness.TempDir();
            Assert.Equal(0, CliHarness.Run(Args(lr, d)).Code);
            expected[lr] = File.ReadAllText(Path.Combine(d, "trajectory.csv"));
        }
        for (int attempt = 0; attempt < 5; attempt++)
        {
            string dir = CliHarness.TempDir();
            using var start = new Barrier(2);
            var runs = new[] { "1", "0.1" }.Select(lr => Task.Run(() => { start.SignalAndWait(); return (lr, CliHarness.Run(Args(lr, dir))); })).ToArray();
            var results = await Task.WhenAll(runs);
            Assert.All(results, x => Assert.True(x.Item2.Code == 0 || (x.Item2.Code == 2 && x.Item2.Err.Contains("is in use by heavytail pid")), x.Item2.Err));
            using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
            string lrInJson = JsonOut.Number(run.RootElement.GetProperty("lr").GetDouble());
            Assert.Equal(expected[lrInJson], File.ReadAllText(Path.Combine(dir, "trajectory.csv")));
        }
    }
}
