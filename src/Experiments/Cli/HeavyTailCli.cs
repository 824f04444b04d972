using System.CommandLine;
using HeavyTail.Analytic.LinearAlgebra;
using Spectre.Console;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>The `heavytail` command line. <see cref="Run"/> is the whole program, callable in-process by tests.</summary>
public static class HeavyTailCli
{
    /// <summary>Exit codes: 0 ok, 1 a recipe failed or an internal failure, 2 a user error (one line).</summary>
    public const int UserErrorExit = 2;
    public const int InternalErrorExit = 1;

    /// <summary>The backends the CLI offers: cpu, native, gpu, ilgpu-cpu, auto.</summary>
    public static BackendCatalog Backends => Gpu.IlgpuProvider.Catalog;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel = default)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!console.Profile.Capabilities.Interactive) console.Profile.Width = 160; // tables in logs and pipes are not squeezed to 80 columns
        var ctx = new CliContext(console, stdout, stderr) { Cancel = cancel };
        var root = new RootCommand("HeavyTail.Theory: heavy-tailed class imbalance and why Adam beats gradient descent (Kunstner et al. 2024).");
        var quiet = new Option<bool>("--quiet") { Description = "no progress output", Recursive = true };
        var backend = new Option<string>("--backend") { Description = "linear algebra: auto (fastest present), cpu (managed), native (OpenBLAS), gpu (ILGPU)", DefaultValueFactory = _ => "auto", Recursive = true };
        var threads = new Option<int?>("--threads") { Description = "worker threads of the CPU passes (default: every core)", Recursive = true };
        root.Options.Add(quiet);
        root.Options.Add(backend);
        root.Options.Add(threads);
        foreach (var command in Commands.All(ctx)) root.Subcommands.Add(command);

        var parse = root.Parse(args);
        ctx.Quiet = parse.Errors.Count == 0 && parse.GetValue(quiet);
        if (parse.Errors.Count > 0)
        {
            stderr.WriteLine($"error: {parse.Errors[0].Message} (see `heavytail {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(1))} --help`)");
            return UserErrorExit;
        }
        try
        {
            string backendName = parse.GetValue(backend)!;
            int? threadCount = parse.GetValue(threads);
            Backends.Check(backendName, threadCount);
            ctx.Threads = threadCount;
            // opened when a command first needs it (list, plot and bench's own backends do not), disposed after the command
            RunEnvironment? environment = null;
            ctx.OpenEnvironment = () => environment ??= new RunEnvironment(Backends.Open(backendName, threadCount), cancel);
            try { return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr }); }
            finally { environment?.Compute.Dispose(); }
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

    private static bool IsUserError(Exception e) => e is UserError or ArgumentException or InvalidDataException
        or IOException or UnauthorizedAccessException or OperationCanceledException;
}

/// <summary>What every command needs: the console for tables and progress, the raw streams, and the run environment
/// (compute context from --backend/--threads, cancellation) that the commands pass down.</summary>
public sealed record CliContext(IAnsiConsole Console, TextWriter Out, TextWriter Err)
{
    public CancellationToken Cancel { get; init; }
    public bool Quiet { get; set; }

    /// <summary>--threads (null: every core).</summary>
    public int? Threads { get; set; }

    /// <summary>Opens (once) the compute context of --backend/--threads; set after parsing, before the command runs.</summary>
    public Func<RunEnvironment>? OpenEnvironment { get; set; }

    /// <summary>The command's run environment, opened on first use.</summary>
    public RunEnvironment Environment => (OpenEnvironment ?? throw new InvalidOperationException("the run environment is set after parsing --backend."))();

    public ComputeContext Compute => Environment.Compute;
}
