using HeavyTail.Ode.Training;
using HeavyTail.Experiments.Runs;
using HeavyTail.Experiments.Cli;
using HeavyTail.Experiments.Torch;

namespace HeavyTail.Experiments.Tests.Torch;

/// <summary>The libstdc++ check and the weak-version fix, on a copy of the packaged libLibTorchSharp.so.</summary>
[Collection(TorchCollection.Name)]
public class TorchRuntimeTests
{
    /// <summary>A private copy of the packaged (unpatched) library.</summary>
    private static string PackagedCopy()
    {
        string lib = TorchRuntime.LocateLibrary() ?? throw new InvalidOperationException("libLibTorchSharp.so is not in the test output");
        string source = File.Exists(lib + ".orig") ? lib + ".orig" : lib;
        string dir = CliHarness.TempDir();
        string copy = Path.Combine(dir, TorchRuntime.LibraryName);
        File.Copy(source, copy);
        // the copy must be the packaged file: undo a weak flag in case the source was already patched
        var elf = ElfVersionNeeds.Read(copy);
        Assert.All(elf.Needs(), n => Assert.False(n.IsWeak, $"{n.Version} is already weak in {source}"));
        return copy;
    }

    private static readonly HashSet<string> Debian12 =
        Enumerable.Range(0, 31).Select(i => i == 0 ? "GLIBCXX_3.4" : $"GLIBCXX_3.4.{i}").Concat(Enumerable.Range(0, 14).Select(i => i == 0 ? "CXXABI_1.3" : $"CXXABI_1.3.{i}")).ToHashSet();

    [Fact]
    public void The_packaged_library_needs_GLIBCXX_3_4_32_only_for_an_unrelocated_symbol()
    {
        var elf = ElfVersionNeeds.Read(PackagedCopy());
        var need = Assert.Single(elf.Needs(), n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.Empty(elf.RelocatedSymbolsOfVersion(need.Index));
        // the scan does find relocations where they exist: condition_variable::wait is bound to GLIBCXX_3.4.30
        var v30 = Assert.Single(elf.Needs(), n => n.Version == "GLIBCXX_3.4.30");
        Assert.Contains(elf.RelocatedSymbolsOfVersion(v30.Index), s => s.Contains("condition_variable"));
        Assert.Equal(["GLIBCXX_3.4.32"], TorchRuntime.MissingVersions(elf, Debian12).Select(m => m.Version));
    }

    [Fact]
    public void The_fix_makes_only_that_requirement_weak_and_is_reversible()
    {
        string lib = PackagedCopy();
        var original = File.ReadAllBytes(lib);
        var status = TorchRuntime.Apply(lib, Debian12, "/test/libstdc++.so.6");
        Assert.True(status.Patched);
        Assert.Equal(["GLIBCXX_3.4.32"], status.Missing);
        var patched = File.ReadAllBytes(lib);
        Assert.Equal(original.Length, patched.Length);
        Assert.Single(original.Zip(patched), p => p.First != p.Second); // one byte: the flag's low byte, 0 → VER_FLG_WEAK
        var needs = ElfVersionNeeds.Read(lib).Needs();
        Assert.All(needs, n => Assert.Equal(n.Version == "GLIBCXX_3.4.32", n.IsWeak));
        Assert.Equal(original, File.ReadAllBytes(lib + ".orig"));

        var again = TorchRuntime.Apply(lib, Debian12, "/test/libstdc++.so.6");
        Assert.False(again.Patched);
        Assert.Contains("fix in place", again.Message);

        Assert.True(TorchRuntime.Revert(lib));
        Assert.Equal(original, File.ReadAllBytes(lib));
        Assert.False(File.Exists(lib + ".orig"));
    }

    [Fact]
    public void Nothing_is_done_when_libstdcxx_has_every_version()
    {
        string lib = PackagedCopy();
        var original = File.ReadAllBytes(lib);
        var status = TorchRuntime.Apply(lib, Debian12.Append("GLIBCXX_3.4.31").Append("GLIBCXX_3.4.32").ToHashSet(), "/test/libstdc++.so.6");
        Assert.False(status.Patched);
        Assert.Empty(status.Missing);
        Assert.Equal(original, File.ReadAllBytes(lib));
        Assert.False(File.Exists(lib + ".orig"));
    }

    [Fact]
    public void A_missing_version_that_relocations_use_is_a_clear_error_and_nothing_is_changed()
    {
        string lib = PackagedCopy();
        var original = File.ReadAllBytes(lib);
        var older = Debian12.Where(v => v is not ("GLIBCXX_3.4.30" or "GLIBCXX_3.4.29")).ToHashSet();
        var e = Assert.Throws<UserError>(() => TorchRuntime.Apply(lib, older, "/test/libstdc++.so.6"));
        Assert.Contains("GLIBCXX_3.4.30", e.Message);
        Assert.Contains("GCC ≥ 13", e.Message);
        Assert.Equal(original, File.ReadAllBytes(lib));
    }

    [Fact]
    public void The_system_libstdcxx_is_found_and_read()
    {
        string? path = TorchRuntime.LocateStdCxx();
        Assert.NotNull(path);
        var defs = ElfVersionNeeds.Read(path).Definitions();
        Assert.Contains("GLIBCXX_3.4", defs);
        Assert.Contains("CXXABI_1.3", defs);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 1, 0, 0 })]
    public void Non_elf_or_truncated_input_is_rejected(byte[] bytes)
    {
        var padded = bytes.Concat(new byte[Math.Max(0, 64 - bytes.Length)]).ToArray();
        Assert.Throws<InvalidDataException>(() => new ElfVersionNeeds(bytes.Length < 64 ? bytes : padded, "x"));
        Assert.Throws<InvalidDataException>(() => new ElfVersionNeeds(padded, "x"));
    }

    [Fact]
    public void A_truncated_library_is_rejected()
    {
        var head = File.ReadAllBytes(PackagedCopy())[..4096];
        var e = Assert.Throws<InvalidDataException>(() => new ElfVersionNeeds(head, "head.so"));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void TorchSharp_loads_after_the_check()
    {
        TorchSession.Ensure();
        using var x = TorchSharp.torch.ones(3, 4);
        Assert.Equal(12f, x.sum().item<float>());
    }
}
