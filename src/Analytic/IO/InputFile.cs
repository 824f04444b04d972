namespace HeavyTail.Analytic.IO;

/// <summary>
/// Opens an input file for reading. Opening a FIFO blocks until something writes to it (as `cat` does); when the open
/// has waited 2 s, the caller's <c>waiting</c> callback (the command line passes its stderr) is told, so a run that seems
/// to hang says why: "waiting for input on X".
/// </summary>
public static class InputFile
{
    /// <summary>Opens <paramref name="path"/> for reading as <see cref="File.OpenRead"/> does, telling <paramref name="waiting"/> when the open has blocked for 2 s (a FIFO nobody writes to).</summary>
    /// <param name="waiting">where the "waiting for input" line goes (null: nowhere).</param>
    public static FileStream OpenRead(string path, Action<string>? waiting = null)
    {
        using var timer = waiting == null ? null
            : new Timer(_ => waiting($"waiting for input on {path} (nothing has written to it yet; it is a pipe or a device)…"), null, 2000, Timeout.Infinite);
        return File.OpenRead(path);
    }
}
