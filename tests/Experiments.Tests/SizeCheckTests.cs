using System.Diagnostics;
using System.Text;
using HeavyTail.Analytic.IO;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Tests;

/// <summary>Fault class 2: sizes are checked before anything is allocated; a refusal takes well under a second and says what was asked, needed and available.</summary>
public class SizeCheckTests
{
    /// <summary>Asks far beyond any machine's memory (≥ 8 TB), each on another generator or command.</summary>
    public static TheoryData<string[]> Huge() => new()
    {
        new[] { "stats", "--problem", "zipf", "--classes", "10", "--samples", "100000000", "--dim", "100000" },
        new[] { "stats", "--problem", "one-hot", "--classes", "1000000" },
        new[] { "stats", "--problem", "ht-cube", "--classes", "100000000", "--samples", "200000000" },
        new[] { "train", "--problem", "zipf", "--samples", "1000000", "--dim", "2000000", "--optimizer", "gd", "--lr", "1", "--steps", "1", "--out", "OUT" },
        new[] { "flow", "--problem", "one-hot", "--classes", "2000000", "--flow", "gradient", "--t-end", "1", "--out", "OUT" },
        new[] { "data", "--problem", "zipf", "--classes", "1000000", "--samples", "2000000000", "--out", "OUT" },
        new[] { "grid", "--problem", "one-hot", "--classes", "1500000", "--optimizer", "gd", "--steps", "1", "--out", "OUT" },
    };

    [Theory]
    [MemberData(nameof(Huge))]
    public void A_problem_beyond_memory_is_refused_at_once_with_what_was_asked_needed_and_available(string[] args)
    {
        string dir = CliHarness.TempDir();
        var sw = Stopwatch.StartNew();
        var r = CliHarness.Run(args.Select(a => a == "OUT" ? dir : a).ToArray());
        Assert.True(sw.Elapsed.TotalSeconds < 1, $"took {sw.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(2, r.Code);
        string line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Matches(@"\(n = \d+, d = \d+, c = \d+\) needs about [0-9.]+ [KMGT]iB of memory but [0-9.]+ [KMGT]iB is available; choose smaller sizes\.$", line);
    }

    [Theory]
    [InlineData("ht-cube", "100000000", null)]
    [InlineData("zipf", "5000", "4999")]
    [InlineData("zipf", "2147483647", "10")]
    public void More_classes_than_samples_are_refused(string problem, string classes, string? samples)
    {
        var sw = Stopwatch.StartNew();
        var r = CliHarness.Run(["stats", "--problem", problem, "--classes", classes, .. samples != null ? new[] { "--samples", samples } : []]);
        Assert.True(sw.Elapsed.TotalSeconds < 1);
        Assert.Equal(2, r.Code);
        Assert.Contains($"--classes {classes} is more than --samples", r.Err);
    }

    [Theory]
    [InlineData(50_000_000)] [InlineData(int.MaxValue)] [InlineData(10)] [InlineData(1_000_000_000)]
    public void A_label_past_n_is_refused_without_allocating_its_classes(int label)
    {
        string dir = CliHarness.TempDir();
        Npy.Write(Path.Combine(dir, "X.npy"), new double[10 * 2], [10, 2]);
        Npy.Write(Path.Combine(dir, "y.npy"), [0, 1, 2, 0, 1, 2, 0, 1, 2, label]);
        var sw = Stopwatch.StartNew();
        var r = CliHarness.Run("stats", "--x", Path.Combine(dir, "X.npy"), "--y", Path.Combine(dir, "y.npy"));
        Assert.True(sw.Elapsed.TotalSeconds < 1, $"took {sw.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(2, r.Code);
        Assert.Equal($"error: {Path.Combine(dir, "y.npy")}: label {label} implies c = {(long)label + 1} classes for n = 10 samples; labels must be 0..c−1 with c ≤ n (relabel the classes 0, 1, 2, …).", r.Err.Trim());
        Assert.DoesNotContain("W's column count", r.Err);
    }

    [Theory]
    [InlineData("(30000, 30000)")] [InlineData("(2000000000,)")] [InlineData("(1000, 1000)")] [InlineData("(9,)")]
    public void A_npy_header_promising_more_than_the_file_holds_fails_before_allocating(string shape)
    {
        string dict = $"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}";
        string header = dict + new string(' ', (64 - (10 + dict.Length + 1) % 64) % 64) + "\n";
        var bytes = new byte[10 + header.Length + 64];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }.CopyTo(bytes, 0);
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 2), (ushort)header.Length);
        Encoding.Latin1.GetBytes(header).CopyTo(bytes, 10);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes), "X.npy"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated the promised array");
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Sizes_within_memory_pass_and_the_estimate_counts_the_big_arrays()
    {
        MemoryCheck.Check("zipf", 2000, 32, 100);
        Assert.Equal(8.0 * (1000 * 10 + 2 * 1000 * 5 + 4 * 10 * 5 + 3 * 1000), MemoryCheck.ProblemBytes(1000, 10, 5));
        Assert.True(MemoryCheck.AvailableBytes() > 0);
        Assert.Equal((7L << 7, 8L << 7, 127L), MemoryCheck.Sizes(new() { Name = "ht-random", M = 7 }));
        Assert.Equal((4000L, 1111L, 1111L), MemoryCheck.Sizes(new() { Name = "ht-identity", K = 3 }));
    }
}
