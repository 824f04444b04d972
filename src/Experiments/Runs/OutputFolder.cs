namespace HeavyTail.Experiments.Runs;

/// <summary>
/// Output paths named by the user (--out): checked before any work starts, so a wrong one fails in one line and leaves
/// what is there untouched.
/// </summary>
public static class OutputFolder
{
    /// <summary>
    /// Makes sure <paramref name="path"/> is (or can become) a folder: neither it nor any folder above it may be an
    /// existing file. Creates it. Throws <see cref="UserError"/> otherwise.
    /// </summary>
    public static string Prepare(string path, string option = "--out")
    {
        CheckFolder(path, option);
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new UserError($"{option} {path}: cannot create this folder ({UserError.OneLine(e)}); choose another {option}.");
        }
        return path;
    }

    /// <summary>Checks that <paramref name="path"/> could be a folder without creating anything.</summary>
    public static void CheckFolder(string path, string option = "--out")
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UserError($"{option} is empty; name an output folder.");
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UserError($"{option} {path} is not a valid path ({UserError.OneLine(e)}).");
        }
        if (File.Exists(full)) throw new UserError($"{option} {path} is an existing file, not a folder; name a folder (the file was left untouched).");
        for (var dir = Path.GetDirectoryName(full); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
            if (File.Exists(dir)) throw new UserError($"{option} {path}: {dir} is a file, not a folder; name a folder that is not inside a file.");
    }

    /// <summary>
    /// Checks an output file path (e.g. plot's PNG, bench's JSON lines): it must not be a folder, and no folder above it a
    /// file. Creates the folder it is in.
    /// </summary>
    public static string PrepareFile(string path, string option = "--out")
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UserError($"{option} is empty; name an output file.");
        if (Directory.Exists(path)) throw new UserError($"{option} {path} is a folder; name a file inside it instead.");
        string? parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(parent)) Prepare(parent, option);
        return path;
    }
}
