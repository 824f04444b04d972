using System.CommandLine;
using HeavyTail.Analytic.Data;
using HeavyTail.Experiments.Cli;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;
using Spectre.Console;

namespace HeavyTail.Experiments.Tests;

/// <summary>
/// Fault class D (issue 25): an option that does nothing in the mode chosen is refused in one line instead of being
/// accepted and ignored (`train --problem … --loss squared` trained the cross-entropy; `reproduce --shards 4` without
/// --dry-run started a full reproduce). The walk covers every command that reads data and every data option it has.
/// </summary>
public class IgnoredOptionTests
{
    /// <summary>The minimal arguments of every command with --problem, without the data (the walk fails on a new one until it is added here).</summary>
    private static readonly Dictionary<string, string[]> Base = new()
    {
        ["train"] = ["train", "--optimizer", "gd", "--lr", "1", "--steps", "2"],
        ["data"] = ["data"],
        ["stats"] = ["stats"],
        ["flow"] = ["flow", "--flow", "gradient", "--t-end", "1"],
        ["compare"] = ["compare", "--optimizer", "gd", "--lr", "0.1", "--steps", "2"],
        ["grid"] = ["grid", "--optimizer", "gd", "--steps", "2", "--lrs", "0.1"],
        ["study"] = ["study", "--optimizers", "gd", "--steps", "2"],
    };

    private static readonly Dictionary<string, string[]> ProblemArgs = new()
    {
        ["ht-random"] = ["--m", "3"], ["ht-cube"] = ["--samples", "40", "--classes", "4"], ["ht-identity"] = ["--k", "1"],
        ["zipf"] = ["--classes", "4", "--samples", "40", "--dim", "4"], ["one-hot"] = ["--classes", "4"],
        ["bigram"] = ["--vocab", "8"],
    };

    private static readonly Dictionary<string, string> Value = new()
    {
        ["--m"] = "3", ["--inputs"] = "gaussian", ["--samples"] = "40", ["--classes"] = "4", ["--dim"] = "4",
        ["--zipf-exponent"] = "1.5", ["--k"] = "1", ["--seed"] = "1", ["--vocab"] = "8", ["--rotate-seed"] = "1",
    };

    private static IEnumerable<Command> Tree(Command c) => c.Subcommands.SelectMany(Tree).Prepend(c);

    private static List<Command> CommandsWithData()
    {
        var ctx = new CliContext(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }), TextWriter.Null, TextWriter.Null);
        return Commands.All(ctx).SelectMany(Tree).Where(c => c.Options.Any(o => o.Name == "--problem")).ToList();
    }

    private static string[] Args(string command, string problem, string option) =>
        [.. Base[command], "--problem", problem, .. ProblemArgs[problem].Where((_, i) => ProblemArgs[problem][i - i % 2] != option), option, Value[option], "--quiet"];

    [Fact]
    public void Every_data_option_a_problem_does_not_read_is_refused_by_every_command()
    {
        var commands = CommandsWithData();
        Assert.Equal(Base.Keys.Order(), commands.Select(c => c.Name).Order());
        int walked = 0;
        foreach (var command in commands)
            foreach (var (option, readers) in ProblemOptionUse.GeneratorOptions)
            {
                Assert.Contains(command.Options, o => o.Name == option);
                if (command.Name is "grid" or "study" && option == "--seed") continue; // grid and study have --seeds (below)
                string problem = Problems.Names.First(p => !readers.Contains(p));
                var r = CliHarness.Run([.. Args(command.Name, problem, option), "--out", CliHarness.TempDir()]);
                Assert.True(r.Code == 2, $"{command.Name} --problem {problem} {option}: exit {r.Code}; {r.Err}");
                Assert.Equal($"error: {option} does nothing for --problem {problem} (it is read by {string.Join(", ", readers)}); leave it out.", r.Err.Trim());
                walked++;
            }
        Assert.Equal(Base.Count * ProblemOptionUse.GeneratorOptions.Count - 2, walked);
    }

    [Fact]
    public void The_options_a_problem_reads_are_accepted()
    {
        foreach (var (option, readers) in ProblemOptionUse.GeneratorOptions)
            foreach (var problem in readers)
            {
                var r = CliHarness.Run([.. Args("train", problem, option), "--out", CliHarness.TempDir()]);
                Assert.True(r.Code == 0, $"train --problem {problem} {option}: exit {r.Code}; {r.Err}");
            }
    }

    [Fact]
    public void Loss_and_targets_with_a_generated_problem_and_generator_options_with_arrays_are_refused()
    {
        foreach (var command in Base.Keys.Where(c => c != "data"))
        {
            var r = CliHarness.Run([.. Base[command], "--problem", "ht-random", "--m", "3", "--loss", "squared", "--out", CliHarness.TempDir(), "--quiet"]);
            Assert.Equal(2, r.Code);
            Assert.StartsWith("error: --loss applies to your own --x/--y data; --problem ht-random has its own loss", r.Err.Trim());
            Assert.Single(r.Err.Trim().Split('\n'));
        }
        string data = CliHarness.TempDir();
        Assert.Equal(0, CliHarness.Run("data", "--problem", "ht-random", "--m", "3", "--out", data, "--quiet").Code);
        string x = Path.Combine(data, "X.npy"), y = Path.Combine(data, "y.npy");
        var ok = CliHarness.Run("train", "--x", x, "--y", y, "--optimizer", "gd", "--lr", "1", "--steps", "2", "--out", CliHarness.TempDir(), "--quiet");
        Assert.True(ok.Code == 0, ok.Err);
        var m = CliHarness.Run("train", "--x", x, "--y", y, "--m", "5", "--optimizer", "gd", "--lr", "1", "--steps", "2", "--out", CliHarness.TempDir(), "--quiet");
        Assert.Equal(2, m.Code);
        Assert.Equal("error: --m sets up a generated problem (ht-random) and does nothing with --x/--y data; leave it out.", m.Err.Trim());
    }

    [Fact]
    public void Reproduce_shards_without_dry_run_and_grid_seed_are_refused()
    {
        string dir = CliHarness.TempDir();
        var r = CliHarness.Run("reproduce", "--scale", "tiny", "--shards", "4", "--out", dir, "--quiet");
        Assert.Equal(2, r.Code);
        Assert.StartsWith("error: --shards only sizes the sharded estimate of --dry-run", Assert.Single(r.Err.Trim().Split('\n')));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
        var g = CliHarness.Run("grid", "--problem", "ht-random", "--m", "3", "--seed", "2", "--optimizer", "gd", "--steps", "2", "--lrs", "0.1", "--out", CliHarness.TempDir(), "--quiet");
        Assert.Equal(2, g.Code);
        Assert.StartsWith("error: --seed does nothing for grid", g.Err.Trim());
    }
}

/// <summary>
/// Fault class D beyond the data options: an option that only matters in some mode of its command (an optimizer
/// hyper-parameter the optimizer does not use, a parameter of another flow, a tolerance of the adaptive control with
/// --fixed-steps) is refused in one line naming the option and what reads it. The walk takes every command of the real
/// command tree and every such option it has (<see cref="ModeOptionUse"/>).
/// </summary>
public class ModeOptionTests
{
    /// <summary>The minimal arguments of every command with mode-dependent options (the walk fails on a new one until it is added here).</summary>
    private static readonly Dictionary<string, string[]> Base = new()
    {
        ["train"] = ["train", "--problem", "ht-random", "--m", "3", "--lr", "0.1", "--steps", "2"],
        ["compare"] = ["compare", "--problem", "ht-random", "--m", "3", "--lr", "0.1", "--steps", "2"],
        ["grid"] = ["grid", "--problem", "ht-random", "--m", "3", "--steps", "2", "--lrs", "0.1"],
        ["flow"] = ["flow", "--problem", "ht-random", "--m", "3", "--t-end", "1"],
    };

    private static readonly Dictionary<string, string> Value = new()
    {
        ["--momentum"] = "0.5", ["--beta1"] = "0.5", ["--beta2"] = "0.5", ["--eps"] = "1e-6", ["--nesterov"] = "true", ["--weight-decay"] = "0.01",
        ["--delta"] = "0.1", ["--friction"] = "2", ["--adam-a"] = "2", ["--adam-b"] = "2",
        ["--rtol"] = "1e-6", ["--atol"] = "1e-8", ["--pi-beta"] = "0", ["--max-steps"] = "1000",
    };

    private static IEnumerable<Command> Tree(Command c) => c.Subcommands.SelectMany(Tree).Prepend(c);

    private static List<Command> AllCommands()
    {
        var ctx = new CliContext(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }), TextWriter.Null, TextWriter.Null);
        return Commands.All(ctx).SelectMany(Tree).ToList();
    }

    /// <summary>(mode option and value, option under test and value): each case of the walk.</summary>
    private static IEnumerable<(string Command, string[] Mode, string Option, string Readers, string Message)> Refusals()
    {
        foreach (var command in AllCommands())
        {
            bool optimizer = command.Options.Any(o => o.Name == "--optimizer"), flow = command.Options.Any(o => o.Name == "--flow");
            foreach (var option in command.Options.Select(o => o.Name))
            {
                if (optimizer && ModeOptionUse.OptimizerOptions.ContainsKey(option))
                {
                    var readers = ModeOptionUse.OptimizersReading(option);
                    string other = OptimizerSettings.Names.First(n => !readers.Contains(n));
                    yield return (command.Name, ["--optimizer", other], option, readers[0],
                        $"error: {option} does nothing for --optimizer {other} (it is read by {string.Join(", ", readers)}); leave it out.");
                }
                if (flow && ModeOptionUse.FlowOptions.TryGetValue(option, out var flows))
                {
                    string other = FlowTables.FlowNames.First(n => !flows.Contains(n));
                    yield return (command.Name, ["--flow", other], option, flows[0],
                        $"error: {option} does nothing for --flow {other} (it is read by {string.Join(", ", flows)}); leave it out.");
                }
                if (flow && ModeOptionUse.AdaptiveOptions.Contains(option))
                    yield return (command.Name, ["--flow", "gradient", "--fixed-steps", "10"], option, "",
                        $"error: {option} does nothing with --fixed-steps (it is read by the adaptive step-size control, used without --fixed-steps); leave it out.");
            }
        }
    }

    [Fact]
    public void Every_option_the_chosen_mode_does_not_read_is_refused_by_every_command()
    {
        var cases = Refusals().ToList();
        Assert.Equal(Base.Keys.Order(), cases.Select(c => c.Command).Distinct().Order());
        // every optimizer hyper-parameter on each optimizer command, every flow parameter and tolerance on flow
        Assert.Equal(3 * ModeOptionUse.OptimizerOptions.Count + ModeOptionUse.FlowOptions.Count + ModeOptionUse.AdaptiveOptions.Length, cases.Count);
        foreach (var (command, mode, option, _, message) in cases)
        {
            string dir = CliHarness.TempDir();
            var r = CliHarness.Run([.. Base[command], .. mode, option, Value[option], "--out", dir, "--quiet"]);
            Assert.True(r.Code == 2, $"{command} {string.Join(' ', mode)} {option}: exit {r.Code}; {r.Err}");
            Assert.Equal(message, r.Err.Trim());
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        }
    }

    [Fact]
    public void The_options_the_chosen_mode_reads_are_accepted()
    {
        foreach (var (command, mode, option, reader, _) in Refusals().Where(c => c.Command is "train" or "flow"))
        {
            string[] accepted = reader == "" ? ["--flow", "gradient"] : [mode[0], reader];
            var r = CliHarness.Run([.. Base[command], .. accepted, option, Value[option], "--out", CliHarness.TempDir(), "--quiet"]);
            Assert.True(r.Code == 0, $"{command} {string.Join(' ', accepted)} {option}: exit {r.Code}; {r.Err}");
        }
    }
}
