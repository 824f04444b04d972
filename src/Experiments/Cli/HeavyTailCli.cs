using System.CommandLine;
using HeavyTail.Analytic.LinearAlgebra;
using Spectre.Console;

namespace HeavyTail.Experiments.Cli;

/// <summary>The `heavytail` command line. <see cref="Run"/> is the whole program, callable in-process by tests.</summary>
public static class HeavyTailCli
{
    public const int UserErrorExit = 2;

    static HeavyTailCli() => Gpu.IlgpuProvider.Register();

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
        root.Options.Add(quiet);
        root.Options.Add(backend);
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
            LinearAlgebraControl.Use(parse.GetValue(backend)!);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr });
        }
        catch (Exception e) when (IsUserError(e))
        {
            stderr.WriteLine($"error: {OneLine(e)}");
            return UserErrorExit;
        }
    }

    private static bool IsUserError(Exception e) => e is UserError or ArgumentException or InvalidDataException
        or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or OperationCanceledException;

    /// <summary>The exception's message on one line, without .NET's " (Parameter 'x')" suffix.</summary>
    public static string OneLine(Exception e)
    {
        string m = e is ArgumentException ae && ae.ParamName != null
            ? ae.Message.Replace($" (Parameter '{ae.ParamName}')", "")
            : e.Message;
        if (e is OperationCanceledException) m = "interrupted; finished results were kept, rerun the same command to resume.";
        return m.ReplaceLineEndings(" ").Trim();
    }
}

/// <summary>What every command needs: the console for tables and progress, and the raw streams.</summary>
public sealed record CliContext(IAnsiConsole Console, TextWriter Out, TextWriter Err)
{
    public CancellationToken Cancel { get; init; }
    public bool Quiet { get; set; }
}
