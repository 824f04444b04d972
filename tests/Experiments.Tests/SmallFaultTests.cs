using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.IO;
using HeavyTail.Experiments.Cli;
using HeavyTail.Experiments.Runs;
using HeavyTail.Tests.Shared;

namespace HeavyTail.Experiments.Tests;

/// <summary>Fault class 9: --m's range, NaN in CSVs, failed flow solves, nothing to plot, corrupt .npy files, folders as files.</summary>
public class SmallFaultTests
{
    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(12)] [InlineData(14)] [InlineData(-3)]
    public void Ht_random_sizes_outside_the_stated_range_are_refused_with_the_range(int m)
    {
        var r = CliHarness.Run("stats", "--problem", "ht-random", "--m", m.ToString());
        Assert.Equal(2, r.Code);
        Assert.StartsWith($"error: --m {m} is out of range; ht-random accepts {Problems.MinM} ≤ m ≤ {Problems.MaxM}", r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
        var help = CliHarness.Run("stats", "--help");
        Assert.Contains($"ht-random size m, {Problems.MinM}–{Problems.MaxM}", help.Out);
    }

    [Theory]
    [InlineData(2)] [InlineData(3)]
    public void The_smallest_stated_size_works(int m)
    {
        var r = CliHarness.Run("stats", "--problem", "ht-random", "--m", m.ToString());
        Assert.True(r.Code == 0, r.Err);
    }

    [Fact]
    public void Csv_writes_nan_and_infinities_as_the_readme_says_and_reads_them_back()
    {
        Assert.Equal("nan", Csv.Format(double.NaN));
        Assert.Equal("inf", Csv.Format(double.PositiveInfinity));
        Assert.Equal("-inf", Csv.Format(double.NegativeInfinity));
        string readme = File.ReadAllText(CliHarness.RepoFile("docs/articles/conventions.md"));
        Assert.Contains("written as `null` in JSON and as `nan` in CSV", readme);
        string path = Path.Combine(CliHarness.TempDir(), "a.csv");
        Csv.Write(path, ["a", "b", "c"], [[double.NaN, double.PositiveInfinity, -1.5]]);
        var (_, rows) = Csv.Read(path);
        Assert.True(double.IsNaN(rows[0][0])); Assert.Equal(double.PositiveInfinity, rows[0][1]); Assert.Equal(-1.5, rows[0][2]);
    }

    [Theory]
    [InlineData("--max-steps", "3", "MaxStepsReached")]
    [InlineData("--max-steps", "1", "MaxStepsReached")]
    public void A_failed_flow_solve_exits_3_with_one_line_and_keeps_its_rows(string option, string value, string result)
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("flow", "--problem", "one-hot", "--classes", "5", "--flow", "gradient", "--t-end", "1e6", option, value, "--out", dir);
        Assert.Equal(HeavyTailCli.SolveFailedExit, r.Code);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains($"({result})", r.Err);
        Assert.Contains("raise --max-steps", r.Err);
        Assert.True(File.Exists(Path.Combine(dir, "flow.csv")));
        var ok = CliHarness.Run("flow", "--problem", "one-hot", "--classes", "5", "--flow", "gradient", "--t-end", "10", "--out", dir);
        Assert.Equal(0, ok.Code);
    }

    [Theory]
    [InlineData("adam", "1e9", "1000")] [InlineData("adam", "1e8", "50")] [InlineData("heavy-ball", "1e9", "100")]
    public void A_solve_that_blows_up_exits_3_not_as_a_user_error(string flow, string tEnd, string steps)
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("flow", "--problem", "one-hot", "--classes", "30", "--flow", flow, "--t-end", tEnd, "--fixed-steps", steps, "--out", dir, "--quiet");
        Assert.True(r.Code == HeavyTailCli.SolveFailedExit, $"exit {r.Code}: {r.Err}");
        Assert.Contains("(NonFiniteState)", Assert.Single(r.Err.Trim().Split('\n')));
        Assert.True(File.Exists(Path.Combine(dir, "flow.csv")));
    }

    public static TheoryData<string, string[], string> Unplottable() => new()
    {
        { "step,loss\n", [], "have no finite values" },
        { "step,loss\n0,nan\n1,nan\n", [], "have no finite values" },
        { "step,loss\n0,0\n1,-2\n", ["--log-y"], "--log-y needs values > 0" },
        { "step,loss\n0,inf\n1,-inf\n", [], "have no finite values" },
        { "t,loss\n0,1\n0,2\n", ["--log-x"], "--log-x needs x > 0" },
        { "step,loss,group_0_loss\n0,nan,-1\n", ["--log-y"], "--log-y needs values > 0" },
    };

    [Theory]
    [MemberData(nameof(Unplottable))]
    public void Plot_with_nothing_plottable_says_so_and_writes_no_picture(string csv, string[] options, string expected)
    {
        string dir = CliHarness.TempDir();
        File.WriteAllText(Path.Combine(dir, "t.csv"), csv);
        string png = Path.Combine(dir, "p.png");
        var r = CliHarness.Run(["plot", Path.Combine(dir, "t.csv"), "--out", png, .. options]);
        Assert.Equal(2, r.Code);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains("nothing to plot", r.Err); Assert.Contains(expected, r.Err);
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void Plot_with_some_drawable_points_still_plots()
    {
        string dir = CliHarness.TempDir();
        File.WriteAllText(Path.Combine(dir, "t.csv"), "step,loss\n0,nan\n1,0.5\n2,0.25\n");
        var r = CliHarness.Run("plot", Path.Combine(dir, "t.csv"), "--log-y", "--out", Path.Combine(dir, "p.png"));
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(dir, "p.png")));
    }

    [Theory]
    [InlineData("--x")] [InlineData("--y")] [InlineData("--w")]
    public void A_folder_given_as_an_input_file_is_called_a_folder(string option)
    {
        string dir = CliHarness.TempDir();
        var data = CliHarness.Run("data", "--problem", "ht-random", "--m", "2", "--out", dir);
        Assert.Equal(0, data.Code);
        string sub = Path.Combine(dir, "sub"); Directory.CreateDirectory(sub);
        string x = option == "--x" ? sub : Path.Combine(dir, "X.npy"), y = option == "--y" ? sub : Path.Combine(dir, "y.npy");
        string[] args = ["stats", "--x", x, "--y", y, .. option == "--w" ? new[] { "--w", sub } : []];
        var r = CliHarness.Run(args);
        Assert.Equal(2, r.Code);
        Assert.Equal($"error: {sub} is a folder, not a .npy file; name the file inside it (e.g. {Path.Combine(sub, "X.npy")}).", r.Err.Trim());
        var plot = CliHarness.Run("plot", sub, "--out", Path.Combine(dir, "p.png"));
        Assert.Contains($"{sub} is a folder, not a CSV file", plot.Err);
    }

    private static byte[] ValidNpy(int rows, int cols)
    {
        string path = Path.Combine(CliHarness.TempDir(), "a.npy");
        Npy.Write(path, Enumerable.Range(0, rows * cols).Select(i => i * 0.5).ToArray(), [rows, cols]);
        return File.ReadAllBytes(path);
    }

    [Theory]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'extra': 1, }")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }}")]
    [InlineData("{'descr': '<f8', 'fortran_order': Flase, 'shape': (2, 3), }")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2,, 3), }")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'shape': (2, 3)}")]
    [InlineData("{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3), }")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': [2, 3], }")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } trailing")]
    [InlineData("'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)")]
    public void An_unparseable_header_entry_is_refused(string dict)
    {
        var data = new byte[6 * 8];
        string header = dict + new string(' ', (64 - (10 + dict.Length + 1) % 64) % 64) + "\n";
        var bytes = new byte[10 + header.Length + data.Length];
        ValidNpy(1, 1).AsSpan(0, 8).CopyTo(bytes);
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 2), (ushort)header.Length);
        Encoding.Latin1.GetBytes(header).CopyTo(bytes, 10);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes), "a.npy"));
        Assert.StartsWith("a.npy: corrupt ", e.Message);
    }

    [Theory]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }")]
    [InlineData("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2, 3)}")]
    [InlineData("{'shape': (2,3,), 'fortran_order': False, 'descr': '<f8'}")]
    public void Well_formed_headers_in_any_spelling_are_read(string dict)
    {
        string header = dict + new string(' ', (64 - (10 + dict.Length + 1) % 64) % 64) + "\n";
        var bytes = new byte[10 + header.Length + 48];
        ValidNpy(1, 1).AsSpan(0, 8).CopyTo(bytes);
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 2), (ushort)header.Length);
        Encoding.Latin1.GetBytes(header).CopyTo(bytes, 10);
        Assert.Equal([2, 3], Npy.Read(new MemoryStream(bytes), "a.npy").Shape);
    }

    [Theory]
    [InlineData(1)] [InlineData(7)] [InlineData(8)] [InlineData(1000)]
    public void Trailing_bytes_are_refused(int extra)
    {
        var bytes = ValidNpy(2, 3).Concat(new byte[extra]).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes), "a.npy"));
        Assert.Contains($"{extra} trailing bytes", e.Message);
    }

    /// <summary>A random corruption of a .npy file: flip, overwrite or insert bytes, cut it short or append to it.</summary>
    public sealed record Corruption(int Kind, int Position, byte Value, int Count)
    {
        private const string HeaderCharacters = " ,:(){}'\"0123456789TrueFalse<f8i4";

        public byte[] Apply(byte[] valid)
        {
            var b = valid.ToList();
            int pos = Position % b.Count;
            switch (Kind)
            {
                case 0: b[pos] ^= (byte)(Value | 1); break;                                           // flip bits anywhere
                case 1: b[pos % 128] = Value; break;                                                   // overwrite in the preamble/header
                case 2: b.InsertRange(pos % 128, Enumerable.Repeat(Value, Count)); break;              // insert into the header
                case 3: b.RemoveRange(pos, b.Count - pos); break;                                      // truncate
                case 4: b.AddRange(Enumerable.Repeat(Value, Count)); break;                            // trailing bytes
                default: b[pos % 128] = (byte)HeaderCharacters[Value % HeaderCharacters.Length]; break;  // a plausible header character
            }
            return b.ToArray();
        }
    }

    public static class CorruptionArbitraries
    {
        public static Arbitrary<Corruption> Corruptions() => Arb.From(
            from kind in Gen.Choose(0, 5)
            from pos in Gen.Choose(0, 100_000)
            from value in Gen.Choose(0, 255)
            from count in Gen.Choose(1, 40)
            select new Corruption(kind, pos, (byte)value, count));
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(CorruptionArbitraries)], MaxTest = 400, Pinned = "(31,37)")]
    public bool A_corrupt_npy_is_either_a_consistent_array_or_one_InvalidDataException(Corruption c)
    {
        var valid = ValidNpy(4, 3);
        var bytes = c.Apply(valid);
        try
        {
            var a = Npy.Read(new MemoryStream(bytes), "x.npy");
            // accepted: then the file is exactly a header and the values it promises (only values or padding changed)
            int size = a.Type is NpyType.Float64 or NpyType.Int64 ? 8 : 4;
            int headerEnd = 10 + BitConverter.ToUInt16(bytes, 8);
            return c.Kind is not (3 or 4) && bytes.Length == headerEnd + a.Values.Length * size;
        }
        catch (InvalidDataException e) { return !e.Message.Contains('\n') && e.Message.StartsWith("x.npy"); }
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(CorruptionArbitraries)], MaxTest = 30, Pinned = "(41,43)")]
    public bool The_cli_on_a_corrupt_npy_prints_one_line_or_runs(Corruption c)
    {
        string dir = CliHarness.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "X.npy"), c.Apply(ValidNpy(4, 3)));
        Npy.Write(Path.Combine(dir, "y.npy"), [0, 1, 1, 0]);
        var r = CliHarness.Run("stats", "--x", Path.Combine(dir, "X.npy"), "--y", Path.Combine(dir, "y.npy"));
        return r.Code == 0 ? r.Err.Length == 0 : r.Code == 2 && r.Err.Trim().Split('\n').Length == 1 && !r.Err.Contains(" at ");
    }
}
