using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace HeavyTail.Experiments.Tests;

/// <summary>
/// A README that runs: every <c>```bash</c> and <c>```sh</c> block of README.md and docs/articles/*.md is run, in the
/// order of its document, by <c>bash -euo pipefail</c> in one fresh temporary folder per document (so a block may use
/// what an earlier block of the same page wrote), with <c>./heavytail</c> and <c>heavytail</c> both meaning the CLI built
/// beside these tests. A block that cannot run here (a GPU, SLURM, the Python peers, the network, a global install, or
/// minutes of work) carries a marker naming the reason, on the line right before its opening fence:
/// <c>&lt;!-- doc-test: skip (reason) --&gt;</c>, or, where nothing may come before the block (the README's first
/// lines), right after its closing fence: <c>&lt;!-- doc-test: skip-previous (reason) --&gt;</c>. Each test prints the
/// blocks it ran and skipped, by file and line, with their times.
/// </summary>
public class DocShellBlockTests(ITestOutputHelper output)
{
    /// <summary>One shell block: where it is, its text, and the reason it is skipped (null: it runs).</summary>
    public sealed record Block(string Document, int Line, string Code, string? Skip)
    {
        /// <summary>"file:line  first command" for the lists the tests print.</summary>
        public string Name => $"{Document}:{Line}  {Code.Split('\n')[0].Trim()}";
    }

    private static readonly Regex Marker = new(@"^<!--\s*doc-test:\s*(?<kind>[a-z-]+)\s*(\((?<why>.*)\))?\s*-->\s*$");
    private static readonly Regex Fence = new(@"^```(?<lang>[A-Za-z0-9_+-]*)\s*$");

    /// <summary>The documents whose blocks run: README.md, then the articles in name order (paths from the repository root).</summary>
    public static IReadOnlyList<string> DocumentPaths()
    {
        string root = Path.GetDirectoryName(CliHarness.RepoFile("HeavyTail.Theory.sln"))!;
        var articles = Directory.GetFiles(Path.Combine(root, "docs", "articles"), "*.md")
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal);
        return ["README.md", .. articles];
    }

    public static TheoryData<string> Documents()
    {
        var data = new TheoryData<string>();
        foreach (var d in DocumentPaths()) data.Add(d);
        return data;
    }

    /// <summary>
    /// The shell blocks of one Markdown document with their skip reasons. Throws on a marker that sits on no shell
    /// block, names no reason or an unknown directive, and on an unclosed fence: a stale marker must not skip silently.
    /// </summary>
    public static IReadOnlyList<Block> Extract(string document, string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var blocks = new List<Block>();
        var markers = new Dictionary<int, (string Kind, string Why)>();   // line index → marker
        for (int i = 0; i < lines.Length; i++)
        {
            var m = Marker.Match(lines[i].Trim());
            if (!m.Success) continue;
            string kind = m.Groups["kind"].Value, why = m.Groups["why"].Value.Trim();
            if (kind is not ("skip" or "skip-previous")) throw new InvalidDataException($"{document}:{i + 1}: unknown doc-test directive '{kind}' (skip or skip-previous).");
            if (why.Length == 0) throw new InvalidDataException($"{document}:{i + 1}: a doc-test skip must say why: <!-- doc-test: {kind} (reason) -->.");
            markers[i] = (kind, why);
        }
        var used = new HashSet<int>();
        for (int i = 0; i < lines.Length; i++)
        {
            var open = Fence.Match(lines[i]);
            if (!open.Success) continue;
            int close = Array.FindIndex(lines, i + 1, l => l.TrimEnd() == "```");
            if (close < 0) throw new InvalidDataException($"{document}:{i + 1}: a code fence is never closed.");
            string lang = open.Groups["lang"].Value;
            if (lang is "bash" or "sh")
            {
                string? skip = null;
                int before = i - 1;
                while (before >= 0 && lines[before].Trim().Length == 0) before--;
                if (before >= 0 && markers.TryGetValue(before, out var mb) && mb.Kind == "skip") { skip = mb.Why; used.Add(before); }
                int after = close + 1;
                while (after < lines.Length && lines[after].Trim().Length == 0) after++;
                if (after < lines.Length && markers.TryGetValue(after, out var ma) && ma.Kind == "skip-previous") { skip = ma.Why; used.Add(after); }
                blocks.Add(new Block(document, i + 1, string.Join('\n', lines[(i + 1)..close]), skip));
            }
            i = close;
        }
        foreach (var k in markers.Keys.Where(k => !used.Contains(k)))
            throw new InvalidDataException($"{document}:{k + 1}: this doc-test marker sits on no ```bash/```sh block (skip goes right before the block, skip-previous right after it).");
        return blocks;
    }

    private static IReadOnlyList<Block> BlocksOf(string document) =>
        Extract(document, File.ReadAllText(CliHarness.RepoFile(document)));

    /// <summary>A folder with ./heavytail (the CLI built beside the tests), also on PATH as heavytail.</summary>
    private static string WorkFolder()
    {
        string dir = CliHarness.TempDir();
        string shim = Path.Combine(dir, "heavytail");
        File.WriteAllText(shim, $"#!/usr/bin/env bash\nexec dotnet \"{CliProcess.Dll}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return dir;
    }

    /// <summary>Runs one block by bash -euo pipefail in <paramref name="dir"/>; its exit code, output tail and seconds.</summary>
    private static (int Code, string Tail, double Seconds) RunBlock(string dir, string code, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("/bin/bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        psi.ArgumentList.Add("-euo");
        psi.ArgumentList.Add("pipefail");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(code);
        psi.Environment["PATH"] = dir + ":" + Environment.GetEnvironmentVariable("PATH");
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var both = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (both) both.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (both) both.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, $"timed out after {timeout.TotalSeconds:F0} s", sw.Elapsed.TotalSeconds);
        }
        p.WaitForExit();
        string text;
        lock (both) text = both.ToString();
        return (p.ExitCode, text.Length > 3000 ? "…" + text[^3000..] : text, sw.Elapsed.TotalSeconds);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_shell_block_runs_or_is_marked_with_the_reason_it_cannot(string document)
    {
        var blocks = BlocksOf(document);
        string dir = WorkFolder();
        var failures = new List<string>();
        double total = 0;
        foreach (var b in blocks)
        {
            if (b.Skip != null) { output.WriteLine($"skipped  {b.Name}  ({b.Skip})"); continue; }
            var (code, tail, seconds) = RunBlock(dir, b.Code, TimeSpan.FromMinutes(5));
            total += seconds;
            output.WriteLine($"ran      {b.Name}  ({seconds:F1} s, exit {code})");
            if (code != 0) failures.Add($"{b.Document}:{b.Line} exited {code}:\n{b.Code}\n--- output ---\n{tail}");
        }
        output.WriteLine($"{document}: {blocks.Count(b => b.Skip == null)} run ({total:F1} s), {blocks.Count(b => b.Skip != null)} skipped");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void The_blocks_run_and_skipped_are_listed_and_every_page_has_one_that_runs_or_a_reason()
    {
        var all = DocumentPaths().SelectMany(BlocksOf).ToList();
        foreach (var b in all.Where(b => b.Skip == null)) output.WriteLine($"runs     {b.Name}");
        foreach (var b in all.Where(b => b.Skip != null)) output.WriteLine($"skipped  {b.Name}  ({b.Skip})");
        output.WriteLine($"{all.Count(b => b.Skip == null)} blocks run, {all.Count(b => b.Skip != null)} skipped");
        // the command reference and the first steps are runnable examples, not transcripts
        foreach (var doc in new[] { "README.md", "docs/articles/commands.md", "docs/articles/getting-started.md" })
            Assert.Contains(all, b => b.Document == doc && b.Skip == null);
    }

    [Fact]
    public void The_readme_begins_with_the_two_commands()
    {
        var lines = File.ReadAllText(CliHarness.RepoFile("README.md")).Replace("\r\n", "\n").Split('\n');
        Assert.Equal("# HeavyTail.Theory", lines[0]);
        Assert.Equal("```bash", lines[2]);
        Assert.StartsWith("./heavytail reproduce ", lines[3]);
        Assert.StartsWith("./test.sh ", lines[4]);
        Assert.Equal("```", lines[5]);
        Assert.True(new FileInfo(CliHarness.RepoFile("README.md")).Length <= 12 * 1024, "README.md is over 12 KB: the reference belongs in docs/articles.");
    }

    [Fact]
    public void The_readmes_relative_links_and_images_exist()
    {
        string readme = CliHarness.RepoFile("README.md"), root = Path.GetDirectoryName(readme)!;
        var targets = Regex.Matches(File.ReadAllText(readme), @"\]\((?<t>[^)\s#]+)(#[^)]*)?\)").Select(m => m.Groups["t"].Value)
            .Where(t => !t.Contains("://")).ToList();
        Assert.NotEmpty(targets);
        foreach (var t in targets) Assert.True(File.Exists(Path.Combine(root, t)), $"README.md links to {t}, which does not exist.");
    }

    [Fact]
    public void Markers_skip_only_the_block_they_sit_on_and_need_a_reason()
    {
        var blocks = Extract("t.md", "a\n<!-- doc-test: skip (needs a GPU) -->\n```bash\nfalse\n```\n\n```sh\ntrue\n```\n<!-- doc-test: skip-previous (hours) -->\n```python\nx\n```\n```bash\necho ok\n```\n");
        Assert.Equal([("needs a GPU", 3), ("hours", 7), (null, 14)], blocks.Select(b => (b.Skip, b.Line)).ToArray());
        Assert.Throws<InvalidDataException>(() => Extract("t.md", "<!-- doc-test: skip () -->\n```bash\ntrue\n```\n"));
        Assert.Throws<InvalidDataException>(() => Extract("t.md", "<!-- doc-test: skip (why) -->\ntext\n```bash\ntrue\n```\n"));
        Assert.Throws<InvalidDataException>(() => Extract("t.md", "<!-- doc-test: skip (why) -->\n```python\nx\n```\n"));
        Assert.Throws<InvalidDataException>(() => Extract("t.md", "```bash\ntrue\n"));
    }
}
