using System.CommandLine;
using HeavyTail.Experiments.Torch;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>`heavytail torch`: the TorchSharp native-library check (and fix), or `--revert` to undo the fix.</summary>
public static class TorchCommand
{
    public static Command Create(CliContext ctx)
    {
        var revert = new Option<bool>("--revert") { Description = "restore the packaged libLibTorchSharp.so (undo the weak-version fix)" };
        var cmd = new Command("torch", "Check that TorchSharp loads here (applying the documented libstdc++ fix to this build's copy if needed).");
        cmd.Options.Add(revert);
        cmd.SetAction(r =>
        {
            if (r.GetValue(revert))
            {
                ctx.Out.WriteLine(TorchRuntime.Revert() ? $"restored the packaged {TorchRuntime.LibraryName}." : "nothing to revert: no saved original next to the library.");
                return 0;
            }
            var status = TorchRuntime.Prepare();
            ctx.Out.WriteLine($"library: {status.Library}");
            ctx.Out.WriteLine($"libstdc++: {status.StdCxx ?? "not found"}");
            ctx.Out.WriteLine(status.Message);
            TorchSession.Ensure();
            using var x = TorchSharp.torch.ones(2, 2);
            using var sum = x.sum();
            ctx.Out.WriteLine($"{TorchSession.Describe()}; ones(2,2).sum() = {sum.item<float>()}");
            return 0;
        });
        return cmd;
    }
}
