using HeavyTail.Ode.Training;
using HeavyTail.Experiments.Runs;
using HeavyTail.Experiments.Cli;

namespace HeavyTail.Experiments.Tests;

/// <summary>Runs the CLI in-process and captures its output.</summary>
public static class CliHarness
{
    public static (int Code, string Out, string Err) Run(params string[] args) => Run(CancellationToken.None, args);

    public static (int Code, string Out, string Err) Run(CancellationToken cancel, params string[] args) => Run(cancel, null, args);

    /// <summary>Runs the CLI with the recipes' forced-failure hook (<see cref="RunEnvironment.ForcedFailures"/>).</summary>
    public static (int Code, string Out, string Err) Run(CancellationToken cancel, Func<string, string, bool>? forcedFailures, params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = HeavyTailCli.Run(args, o, e, cancel, forcedFailures);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>A file of the repository (found above the test assembly's folder).</summary>
    public static string RepoFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, name)) && File.Exists(Path.Combine(dir.FullName, "HeavyTail.Theory.sln"))) return Path.Combine(dir.FullName, name);
        throw new FileNotFoundException($"{name} not found above {AppContext.BaseDirectory}.");
    }

    public static string TempDir() => Directory.CreateTempSubdirectory("heavytail-test").FullName;
}
