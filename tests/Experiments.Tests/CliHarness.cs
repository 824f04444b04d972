using HeavyTail.Ode.Training;
using HeavyTail.Experiments.Runs;
using HeavyTail.Experiments.Cli;

namespace HeavyTail.Experiments.Tests;

/// <summary>Runs the CLI in-process and captures its output.</summary>
public static class CliHarness
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = HeavyTailCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    public static string TempDir() => Directory.CreateTempSubdirectory("heavytail-test").FullName;
}
