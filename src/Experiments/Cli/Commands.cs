using System.CommandLine;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

public static class Commands
{
    public static IEnumerable<Command> All(CliContext ctx) =>
    [
        DataCommand.Create(ctx),
        StatsCommand.Create(ctx),
        TrainCommand.Create(ctx),
        FlowCommand.Create(ctx),
        CompareCommand.Create(ctx),
        RecipeCommands.List(ctx),
        RecipeCommands.Run(ctx),
        RecipeCommands.Reproduce(ctx),
        GridCommand.Create(ctx),
        StudyCommand.Create(ctx),
        PlotCommand.Create(ctx),
        BenchCommand.Create(ctx),
        TorchCommand.Create(ctx),
    ];
}
