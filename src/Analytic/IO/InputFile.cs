namespace HeavyTail.Analytic.IO;

/// <summary>
/// Opens an input file for reading. Opening a FIFO blocks until something writes to it (as `cat` does); when the open
/// has waited 2 s, <see cref="Waiting"/> (set by the command line for its own calls) is told, so a run that seems to hang
/// says why: "waiting for input on X".
/// </summary>
public static class InputFile
{
    private static readonly AsyncLocal<Action<string>?> Note = new();

    /// <summary>Where the "waiting for input" line goes in this call's flow (null: nowhere).</summary>
    public static Action<string>? Waiting { get => Note.Value; set => Note.Value = value; }

    /// <summary>Opens <paramref name="path"/> for reading as <see cref="File.OpenRead"/> does, telling <see cref="Waiting"/> when the open has blocked for 2 s (a FIFO nobody writes to).</summary>
    public static FileStream OpenRead(string path)
    {
        var note = Waiting;
        using var timer = note == null ? null
            : new Timer(_ => note($"waiting for input on {path} (nothing has written to it yet; it is a pipe or a device)…"), null, 2000, Timeout.Infinite);
        return File.OpenRead(path);
    }
}
