using System.CommandLine;
using HeavyTail.Analytic.LinearAlgebra;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// `--dtype float64|float32` of the commands that train or evaluate the model on the run environment (train, grid, run,
/// reproduce, stats): the precision the environment's backend computes in. float64 by default; the ILGPU backends compute
/// in float32 only. `bench --dtype` is its own option (a list of precisions to measure).
/// </summary>
public sealed class DtypeOption : Option<string?>
{
    public DtypeOption() : base("--dtype")
    {
        Description = "float64 (the default on the CPU backends) or float32 (PyTorch's default: about twice as fast; GEMMs, softmax and optimizer state in float32, losses reported in float64); gpu and ilgpu-cpu compute in float32 only";
    }

    /// <summary>The precision asked for on the parsed command line; null when its command has no --dtype or it was not given.</summary>
    public static Precision? Of(ParseResult parse)
    {
        var option = parse.CommandResult.Command.Options.OfType<DtypeOption>().FirstOrDefault();
        return option != null && parse.GetValue(option) is { } text ? PrecisionNames.Parse(text) : null;
    }
}
