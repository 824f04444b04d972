using System.CommandLine;
using HeavyTail.Analytic.LinearAlgebra;
using Spectre.Console;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>The `heavytail` command line. <see cref="Run"/> is the whole program, callable in-process by tests.</summary>
public static class HeavyTailCli
{
    /// <summary>Exit codes: 0 ok, 1 a recipe failed or an internal failure, 2 a user error (one line), 3 an ODE solve that
    /// stopped before --t-end (its results up to there are written), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM,
    /// handled as Ctrl-C). README "Exit codes and signals" lists them.</summary>
    public const int UserErrorExit = 2;
    public const int InternalErrorExit = 1;
    public const int SolveFailedExit = 3;
    public const int InterruptedExit = 130;
    public const int TerminatedExit = 143;

    /// <summary>The backends the CLI offers: cpu, native, gpu, ilgpu-cpu, auto.</summary>
    public static BackendCatalog Backends => Gpu.IlgpuProvider.Catalog;

    /// <summary>Runs the command line <paramref name="args"/>; returns the exit code.</summary>
    /// <param name="forcedFailures">a test hook passed down to the recipes (<see cref="RunEnvironment.ForcedFailures"/>); null in every real run.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel = default, Func<string, string, bool>? forcedFailures = null)
    {
        // output that cannot be written (stdout closed, on a full disk, a broken pipe) does not stop the command (issue 25 C)
        bool terminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var safeOut = new SafeWriter(stdout, "stdout");
        var safeErr = new SafeWriter(stderr, "stderr");
        int code = Run(args, safeOut, safeErr, terminal, cancel, forcedFailures);
        if (safeOut.Failure != null)
            safeErr.WriteLine($"note: stdout could not be written ({safeOut.Failure}); its lines were dropped and the command went on (its files are written as usual).");
        return code;
    }

    private static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool terminal, CancellationToken cancel, Func<string, string, bool>? forcedFailures)
    {
        var console = CreateConsole(stdout, terminal);
        var ctx = new CliContext(console, stdout, stderr) { Cancel = cancel };
        var root = new RootCommand("HeavyTail.Theory: heavy-tailed class imbalance and why Adam beats gradient descent (Kunstner et al. 2024).");
        var quiet = new Option<bool>("--quiet") { Description = "no progress output", Recursive = true };
        var backend = new Option<string>("--backend") { Description = "linear algebra: auto (the faster of native and cpu, measured once per machine), cpu (managed), native (OpenBLAS), gpu (ILGPU), ilgpu-cpu", DefaultValueFactory = _ => "auto", Recursive = true };
        var threads = new Option<int?>("--threads") { Description = "worker threads of the CPU passes (default: every core)", Recursive = true };
        root.Options.Add(quiet);
        root.Options.Add(backend);
        root.Options.Add(threads);
        foreach (var command in Commands.All(ctx)) root.Subcommands.Add(command);
        NumberOptions.Apply(root);
        // numbers are read and written the same in every environment (LANG, LC_ALL, invariant globalization switched off)
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;

        var parse = root.Parse(args);
        ctx.Quiet = parse.Errors.Count == 0 && parse.GetValue(quiet);
        if (parse.Errors.Count > 0)
        {
            stderr.WriteLine($"error: {ParseErrors.Line(root, parse, args)}");
            return UserErrorExit;
        }
        try
        {
            string backendName = parse.GetValue(backend)!;
            int? threadCount = parse.GetValue(threads);
            ctx.Precision = DtypeOption.Of(parse);
            Backends.Check(backendName, threadCount, ctx.Precision);
            ctx.Threads = threadCount;
            // opened when a command first needs it (list, plot and bench's own backends do not), disposed after the command;
            // in the precision of --dtype, or of the command's own record (grid merge: grid.json's), when it sets one first
            RunEnvironment? environment = null;
            ctx.OpenEnvironment = () => environment ??= new RunEnvironment(Backends.Open(backendName, threadCount, ctx.Precision), cancel, ctx.Quiet ? null : stderr.WriteLine) { ForcedFailures = forcedFailures };
            try { return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr }); }
            finally { environment?.Compute.Dispose(); }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            stderr.WriteLine($"interrupted: {ctx.InterruptNote}");
            return InterruptedExit;
        }
        catch (Exception e) when (IsUserError(e))
        {
            stderr.WriteLine($"error: {UserError.OneLine(e)}");
            return UserErrorExit;
        }
        catch (Exception e)
        {
            // a fault of the program, not of the input: still one line (no stack trace), with the exception's type to report
            stderr.WriteLine($"error: internal failure ({e.GetType().Name}: {UserError.OneLine(e)}); please report it with the command line.");
            return InternalErrorExit;
        }
    }

    /// <summary>The console for tables and progress: ANSI, colours and live displays only on an interactive terminal; 160 columns in logs and pipes.</summary>
    private static IAnsiConsole CreateConsole(TextWriter stdout, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!console.Profile.Capabilities.Interactive) console.Profile.Width = 160; // tables in logs and pipes are not squeezed to 80 columns
        return console;
    }

    private static bool IsUserError(Exception e) => e is UserError or ArgumentException or InvalidDataException
        or IOException or UnauthorizedAccessException or OperationCanceledException;
}

/// <summary>What every command needs: the console for tables and progress, the raw streams, and the run environment
/// (compute context from --backend/--threads, cancellation) that the commands pass down.</summary>
public sealed record CliContext(IAnsiConsole Console, TextWriter Out, TextWriter Err)
{
    public CancellationToken Cancel { get; init; }

    /// <summary>What an interrupted command kept, for its last line (commands with a run cache say where to resume from).</summary>
    public string InterruptNote { get; set; } = "stopped before writing its results; nothing was kept.";
    public bool Quiet { get; set; }

    /// <summary>--threads (null: every core).</summary>
    public int? Threads { get; set; }

    /// <summary>--dtype of the commands that have it (null: the backend's own, float64 on the CPU backends); read when the environment opens.</summary>
    public Precision? Precision { get; set; }

    /// <summary>Opens (once) the compute context of --backend/--threads; set after parsing, before the command runs.</summary>
    public Func<RunEnvironment>? OpenEnvironment { get; set; }

    /// <summary>The command's run environment, opened on first use.</summary>
    public RunEnvironment Environment => (OpenEnvironment ?? throw new InvalidOperationException("the run environment is set after parsing --backend."))();

    public ComputeContext Compute => Environment.Compute;

    /// <summary>Checks and locks a command's output folder (<see cref="OutputFolder.Claim"/>); notes go to stderr.</summary>
    public FolderClaim Claim(string path, string command, string option = "--out") => OutputFolder.Claim(path, command, Err.WriteLine, option);
}
