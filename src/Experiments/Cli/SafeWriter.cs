using System.Text;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// A standard stream that cannot stop the computation (issue 25 C): stdout closed (`&gt;&amp;-`), on a full disk
/// (`&gt;/dev/full`) or a broken pipe. The first failed write is kept (<see cref="Failure"/>) and later writes are dropped;
/// the command goes on and writes its results to --out, and the CLI names the stream in one line at the end.
/// </summary>
public sealed class SafeWriter(TextWriter inner, string name) : TextWriter
{
    /// <summary>The stream's name for the closing note (stdout, stderr).</summary>
    public string Name { get; } = name;

    /// <summary>Why the stream could not be written (null while every write succeeded).</summary>
    public string? Failure { get; private set; }

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Guard(() => inner.Write(value));
    public override void Write(string? value) => Guard(() => inner.Write(value));
    public override void Write(char[] buffer, int index, int count) => Guard(() => inner.Write(buffer, index, count));
    public override void Write(ReadOnlySpan<char> buffer) { string s = new(buffer); Guard(() => inner.Write(s)); }
    public override void WriteLine() => Guard(() => inner.WriteLine());
    public override void WriteLine(string? value) => Guard(() => inner.WriteLine(value));
    public override void Flush() => Guard(inner.Flush);

    private void Guard(Action write)
    {
        if (Failure != null) return;
        try { write(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException or NotSupportedException)
        {
            Failure = UserError.OneLine(e);
        }
    }
}
