using System.CommandLine;
using HeavyTail.Experiments.Recipes.Plots;

namespace HeavyTail.Experiments.Cli;

/// <summary>`heavytail plot CSV… --out PNG`: replots trajectory / flow / compare CSVs, overlaid (<see cref="CsvPlots"/>).</summary>
public static class PlotCommand
{
    /// <summary>The command and its options.</summary>
    public static Command Create(CliContext ctx)
    {
        var files = new Argument<string[]>("csv") { Arity = ArgumentArity.OneOrMore, Description = "CSV files written by train, flow, compare or a recipe" };
        var outPath = new Option<string>("--out") { Description = "output PNG (an SVG is written beside it)", Required = true };
        var x = new Option<string?>("--x") { Description = "x column (default: the first column; `t` in flow.csv, `step` in trajectory.csv)" };
        var columns = new Option<string?>("--columns") { Description = "comma-separated y columns (default: loss and every group_*/class_* column)" };
        var logX = new Option<bool>("--log-x"); var logY = new Option<bool>("--log-y");
        var title = new Option<string?>("--title");
        var label = new Option<string[]>("--label") { Description = "legend name of an input, once per input in order (default: optimizer and η, or the flow, from the run.json beside the CSV; else the file name)", AllowMultipleArgumentsPerToken = false };
        var style = new Option<string[]>("--style") { Description = "lines|markers, once for all or once per input in order (default: lines; group columns of later inputs dashed)", AllowMultipleArgumentsPerToken = false };
        var cmd = new Command("plot", "Plot columns of one or more CSVs into one figure.");
        cmd.Arguments.Add(files);
        foreach (Option o in new Option[] { outPath, x, columns, logX, logY, title, label, style }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var request = new PlotRequest(r.GetValue(files)!, r.GetValue(outPath)!, r.GetValue(x),
                r.GetValue(columns)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                r.GetValue(logX), r.GetValue(logY), r.GetValue(title), r.GetValue(label), r.GetValue(style));
            var result = CsvPlots.Draw(request, ctx.Cancel);
            foreach (var note in result.Notes) ctx.Err.WriteLine(note);
            ctx.Out.WriteLine($"wrote {result.Png}");
            return 0;
        });
        return cmd;
    }
}
