namespace HeavyTail.Analytic.IO;

/// <summary>Writes files atomically: to a temporary file in the same folder, then a rename over the target.</summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string tmp = TempName(path);
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Runs <paramref name="write"/> on a temporary path, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        string tmp = TempName(path);
        try
        {
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    private static string TempName(string path)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }
}
