using HeavyTail.Experiments.Cli;

// The first Ctrl-C cancels the command's token (it stops within about a second, says what was kept and exits 130); a
// second one ends the process at once.
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (cts.IsCancellationRequested) return;   // second Ctrl-C: e.Cancel stays false, the runtime ends the process
    e.Cancel = true;
    Console.Error.WriteLine("stopping… (Ctrl-C again to end at once)");
    cts.Cancel();
};
return HeavyTailCli.Run(args, Console.Out, Console.Error, cts.Token);
