using HeavyTail.Experiments.Cli;

return HeavyTailCli.Run(args, Console.Out, Console.Error);
