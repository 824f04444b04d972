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

    /// <summary>The lock file in a claimed folder (held with an OS advisory lock) and the file naming its holder.</summary>
    public const string LockName = ".heavytail.lock", HolderName = ".heavytail.holder";

    /// <summary>
    /// <see cref="Prepare"/>s the folder and takes its advisory lock for one command: a second command into the same folder
    /// (another process, or another call in this one) is refused with one line naming the holder's pid. The lock is the
    /// OS's (flock on Unix, a share lock on Windows) on DIR/.heavytail.lock, so it dies with its process: a lock left by a
    /// killed run is taken over, with a note. Dispose to release it.
    /// </summary>
    public static FolderClaim Claim(string path, string command, Action<string>? note = null, string option = "--out")
    {
        Prepare(path, option);
        string lockPath = Path.Combine(path, LockName), holderPath = Path.Combine(path, HolderName);
        FileStream? stream = null;
        // A locked folder whose holder file is absent is in a moment of transition: its holder has just taken the lock and
        // not yet written its name, or has just removed its name and is about to release the lock. Retry for about a
        // second before answering, so the refusal names a pid (or the lock is ours).
        for (int attempt = 0; stream == null; attempt++)
        {
            try { stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException)
            {
                var h = ReadHolder(holderPath);
                if (h is { } who) throw new UserError($"{option} {path} is in use by heavytail pid {who.Pid} ({who.Command}, since {who.Since}); wait for it to finish or choose another {option}.");
                if (attempt >= 50) throw new UserError($"{option} {path} is in use by another heavytail run; wait for it to finish or choose another {option}.");
                Thread.Sleep(20);
            }
            catch (UnauthorizedAccessException e) { throw new UserError($"{option} {path}: cannot write there ({UserError.OneLine(e)})."); }
        }
        if (ReadHolder(holderPath) is { } stale)
            note?.Invoke($"note: took over {path} from heavytail pid {stale.Pid} ({stale.Command}, since {stale.Since}), which is no longer running.");
        Analytic.IO.AtomicFile.WriteAllText(holderPath, $"{Environment.ProcessId}\n{command}\n{DateTime.Now:yyyy-MM-dd HH:mm:ss}\n");
        return new FolderClaim(path, stream, holderPath);
    }

    /// <summary>The holder recorded in a folder: pid, command, start time (null when none or unreadable).</summary>
    public static (int Pid, string Command, string Since)? ReadHolder(string holderPath)
    {
        try
        {
            if (!File.Exists(holderPath)) return null;
            var lines = File.ReadAllLines(holderPath);
            return lines.Length >= 3 && int.TryParse(lines[0], out int pid) ? (pid, lines[1], lines[2]) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}

/// <summary>A claimed output folder (see <see cref="OutputFolder.Claim"/>): its path, and the lock released on dispose.</summary>
public sealed class FolderClaim(string path, FileStream lockStream, string holderPath) : IDisposable
{
    /// <summary>The claimed folder.</summary>
    public string Path { get; } = path;

    /// <summary>Releases the claim: deletes the holder file, then the lock.</summary>
    public void Dispose()
    {
        // the holder file goes first, while the lock is still held, so it never names a run that is not the holder;
        // the lock file itself stays (deleting it could let two runs lock two different files of the same name)
        try { File.Delete(holderPath); } catch (IOException) { }
        lockStream.Dispose();
    }
}
