using System.Globalization;
using System.Runtime.InteropServices;
using HeavyTail.Experiments.Cli;

// Numbers are read and written with the invariant culture whatever LANG/LC_ALL say (README "Numbers").
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;

// The first Ctrl-C (SIGINT) or SIGTERM (kill, SLURM's scancel and time limit) cancels the command's token: it stops within
// about a second, says what was kept, releases its output folder and exits 130 (Ctrl-C) or 143 (SIGTERM). A second
// signal ends the process at once.
using var cts = new CancellationTokenSource();
int signal = 0;
bool Stop(int number, string how)
{
    if (cts.IsCancellationRequested) return false;   // the second signal: the runtime's default (the process ends)
    signal = number;
    try { Console.Error.WriteLine($"stopping… ({how} again to end at once)"); } catch (IOException) { } // stderr may be gone
    cts.Cancel();
    return true;
}
Console.CancelKeyPress += (_, e) => e.Cancel = Stop(2, "Ctrl-C");
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = Stop(15, "SIGTERM"));
// The standard streams are opened before any file: with stdout closed (`>&-`) the first file opened would take its
// descriptor, and lines meant for stdout would land in it.
TextWriter Open(Func<TextWriter> stream) { try { return stream(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return TextWriter.Null; } }
TextWriter stdout = Open(() => { var w = Console.Out; w.Flush(); return w; }), stderr = Open(() => Console.Error);
int code = HeavyTailCli.Run(args, stdout, stderr, cts.Token);
return code == HeavyTailCli.InterruptedExit && signal == 15 ? HeavyTailCli.TerminatedExit : code;
