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
            catch (IOException e) when (!IsLockConflict(e))
            {
                // a read-only file system, a full disk, an I/O error: not another run (issue 25 C)
                throw new UserError(e.HResult == ReadOnlyFileSystem
                    ? $"{option} {path} is on a read-only file system; choose a writable {option}."
                    : $"{option} {path}: cannot write there ({UserError.OneLine(e)}); choose another {option}.");
            }
            catch (IOException)
            {
                var h = ReadHolder(holderPath);
                if (h is { } who) throw new UserError($"{option} {path} is in use by heavytail pid {who.Pid} ({who.Command}, since {who.Since}); wait for it to finish or choose another {option}.");
                if (attempt >= 50) throw new UserError($"{option} {path} is in use by another heavytail run; wait for it to finish or choose another {option}.");
                Thread.Sleep(20);
            }
            catch (UnauthorizedAccessException e) { throw new UserError($"{option} {path}: cannot write there ({UserError.OneLine(e)})."); }
        }
        if (WrittenBy(path) is { } other && other != Family(command))
        {
            stream.Dispose();
            throw new UserError($"{option} {path} holds the results of `{other}`; `{command}` would mix its files with them: choose another {option} (or empty the folder).");
        }
        if (ReadHolder(holderPath) is { } stale)
            note?.Invoke($"note: took over {path} from heavytail pid {stale.Pid} ({stale.Command}, since {stale.Since}), which is no longer running.");
        Analytic.IO.AtomicFile.WriteAllText(holderPath, $"{Environment.ProcessId}\n{command}\n{DateTime.Now:yyyy-MM-dd HH:mm:ss}\n");
        Analytic.IO.AtomicFile.WriteAllText(Path.Combine(path, CommandName), Family(command) + "\n");
        return new FolderClaim(path, stream, holderPath);
    }

    /// <summary>The file naming the command family that writes a folder (issue 25 F: one folder, one kind of results).</summary>
    public const string CommandName = ".heavytail.command";

    /// <summary>The commands that may share a folder: grid, grid merge and grid refine; run and reproduce (one recipe cache).</summary>
    public static string Family(string command) => command.StartsWith("grid") ? "grid" : command is "run" or "reproduce" ? "run/reproduce" : command;

    /// <summary>
    /// The command family whose results a folder holds: from <see cref="CommandName"/>, or in a folder written before it
    /// existed, from run.json's "command" or a grid.json; null for an empty or unknown folder.
    /// </summary>
    public static string? WrittenBy(string path)
    {
        try
        {
            // a claim that wrote nothing (a command refused after taking the folder) leaves no results to mix with
            if (!Directory.EnumerateFileSystemEntries(path).Any(e => !System.IO.Path.GetFileName(e).StartsWith('.'))) return null;
            string marker = Path.Combine(path, CommandName);
            if (File.Exists(marker)) return File.ReadAllText(marker).Trim() is { Length: > 0 } m ? m : null;
            if (File.Exists(Path.Combine(path, "grid.json"))) return "grid";
            if (File.Exists(Path.Combine(path, "report.md"))) return "run/reproduce";
            string run = Path.Combine(path, "run.json");
            if (!File.Exists(run)) return null;
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(run));
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("command", out var c)
                && c.ValueKind == System.Text.Json.JsonValueKind.String ? Family(c.GetString()!) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException) { return null; }
    }

    /// <summary>errno EROFS (Linux, macOS): .NET's IOException carries the errno as its HResult on Unix.</summary>
    private const int ReadOnlyFileSystem = 30;

    /// <summary>
    /// Whether opening the lock file failed because another handle holds it: EWOULDBLOCK/EAGAIN from flock (11 on Linux,
    /// 35 on macOS) or a Windows sharing or lock violation. Any other IOException is not a run in the folder.
    /// </summary>
    public static bool IsLockConflict(IOException e) => OperatingSystem.IsWindows()
        ? (e.HResult & 0xFFFF) is 32 or 33
        : e.HResult == (OperatingSystem.IsMacOS() ? 35 : 11);

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
