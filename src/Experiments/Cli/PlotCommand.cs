using HeavyTail.Ode.Optimizers;
using System.CommandLine;
using HeavyTail.Experiments.Recipes.Plots;

using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>`heavytail plot CSV… --out PNG`: replots trajectory / flow / compare CSVs, overlaid (continuous and discrete runs together).</summary>
public static class PlotCommand
{
    public static Command Create(CliContext ctx)
    {
        var files = new Argument<string[]>("csv") { Arity = ArgumentArity.OneOrMore, Description = "CSV files written by train, flow, compare or a recipe" };
        var outPath = new Option<string>("--out") { Description = "output PNG (an SVG is written beside it)", Required = true };
        var x = new Option<string?>("--x") { Description = "x column (default: the first column; `t` in flow.csv, `step` in trajectory.csv)" };
        var columns = new Option<string?>("--columns") { Description = "comma-separated y columns (default: loss and every group_*/class_* column)" };
        var logX = new Option<bool>("--log-x"); var logY = new Option<bool>("--log-y");
        var title = new Option<string?>("--title");
        var cmd = new Command("plot", "Plot columns of one or more CSVs into one figure.");
        cmd.Arguments.Add(files);
        foreach (Option o in new Option[] { outPath, x, columns, logX, logY, title }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string outFile = r.GetValue(outPath)!;
            if (!outFile.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new UserError($"--out {outFile} must end in .png.");
            OutputFolder.PrepareFile(outFile);
            var paths = r.GetValue(files)!;
            var wanted = r.GetValue(columns)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var tables = paths.Select(path => (Path: path, Table: Csv.Read(path, ctx.Cancel))).ToList();
            // a trajectory (steps) plotted with a flow (time t): the trajectory goes onto t = η·step (√η·step for heavy ball)
            bool align = r.GetValue(x) == null && tables.Any(t => t.Table.Header[0] == "t") && tables.Any(t => t.Table.Header[0] == "step");
            string xAxis = r.GetValue(x) ?? (align || tables.All(t => t.Table.Header[0] == "t") ? "time t" : tables[0].Table.Header[0]);
            var yNames = new List<string>();
            var fig = new Figure(r.GetValue(title) ?? string.Join(" vs ", paths.Select(Path.GetFileName)), xAxis, "", r.GetValue(logX), r.GetValue(logY));
            int series = 0;
            bool logXOn = r.GetValue(logX), logYOn = r.GetValue(logY);
            var empty = new List<string>();
            // runs of different problems overlaid: said once, and each legend entry names its problem
            var problems = paths.Select(RunJson.ProblemBeside).ToList();
            bool mixed = problems.Where(d => d != null).Distinct().Count() > 1;
            if (mixed) ctx.Err.WriteLine($"note: these files come from different problems ({string.Join("; ", paths.Zip(problems, (f, d) => $"{f}: {d ?? "no run.json"}"))}); the legend names each one's problem.");
            foreach (var ((path, (header, rows)), fi) in tables.Select((t, i) => (t, i)))
            {
                string xName = r.GetValue(x) ?? header[0];
                int xi = Array.IndexOf(header, xName);
                if (xi < 0) throw new UserError($"{path} has no column '{xName}' (columns: {string.Join(", ", header)}).");
                double xScale = align && xName == "step" ? TimePerStep(path) : 1.0;
                var ys = wanted ?? header.Where(h => h == "loss" || h.StartsWith("group_") || (h.StartsWith("class_") && header.Count(c => c.StartsWith("class_")) <= 20)).ToArray();
                foreach (var col in ys)
                {
                    ctx.Cancel.ThrowIfCancellationRequested();
                    int yi = Array.IndexOf(header, col);
                    if (yi < 0) { if (wanted != null) throw new UserError($"{path} has no column '{col}' (columns: {string.Join(", ", header)})."); continue; }
                    // a point is drawable when x and y are finite, and positive on a log axis
                    if (!rows.Any(v => Drawable(v[xi], logXOn) && Drawable(v[yi], logYOn))) { empty.Add($"{Path.GetFileName(path)}:{col}"); continue; }
                    var color = col.StartsWith("group_") ? Figure.GroupColor(yi, header.Length) : new ScottPlot.Palettes.Category10().GetColor(series);
                    int dropped = rows.Count(v => double.IsFinite(v[xi]) && double.IsFinite(v[yi]) && !(Drawable(v[xi], logXOn) && Drawable(v[yi], logYOn)));
                    if (dropped > 0) ctx.Err.WriteLine($"note: {path}:{col}: the log axis left out {dropped} of {rows.Count} points ({(logXOn && logYOn ? "x or y" : logYOn ? "y" : "x")} ≤ 0).");
                    string label = $"{Path.GetFileNameWithoutExtension(path)}:{col}" + (mixed ? $" ({problems[fi] ?? "problem unknown"})" : "");
                    fig.Line(rows.Select(v => v[xi] * xScale).ToArray(), rows.Select(v => v[yi]).ToArray(), color, label, markers: fi > 0);
                    yNames.Add(col);
                    series++;
                }
            }
            if (series == 0 && empty.Count > 0)
                throw new UserError($"nothing to plot: {string.Join(", ", empty.Take(4))}{(empty.Count > 4 ? $" and {empty.Count - 4} more" : "")} have no finite{(logXOn || logYOn ? ", positive" : "")} values{(logYOn ? " (--log-y needs values > 0)" : logXOn ? " (--log-x needs x > 0)" : "")}; no picture was written.");
            if (series == 0) throw new UserError("nothing to plot: name the y columns with --columns.");
            // the y label from the columns drawn: "training loss" for loss columns, else their names
            var distinct = yNames.Distinct().ToList();
            fig.Plot.YLabel(distinct.All(n => n == "loss" || n.EndsWith("_loss")) ? "training loss" : string.Join(", ", distinct.Take(3)) + (distinct.Count > 3 ? ", …" : ""));
            string dir = Path.GetDirectoryName(Path.GetFullPath(outFile))!;
            fig.Save(dir, Path.GetFileNameWithoutExtension(outFile), ctx.Cancel);
            ctx.Out.WriteLine($"wrote {outFile}");
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// The time one logged step of a trajectory stands for, from the run.json beside it (written by train and compare):
    /// t = η·step, or √η·step for an optimizer whose limit is heavy-ball flow. Refuses in one line when there is no such file.
    /// </summary>
    private static double TimePerStep(string trajectory)
    {
        string json = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(trajectory))!, "run.json");
        string how = "put the run.json that train wrote beside it, or give --x to plot both against their own first columns";
        if (!File.Exists(json)) throw new UserError($"{trajectory} counts steps and the flow counts time t: no run.json beside it to read the step size from; {how}.");
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            if (!root.TryGetProperty("lr", out var lr) || lr.ValueKind != System.Text.Json.JsonValueKind.Number || !(lr.GetDouble() > 0))
                throw new UserError($"{json} records no positive lr, so {trajectory}'s steps cannot be put on the flow's time axis; {how}.");
            string name = root.TryGetProperty("optimizer", out var o) && o.ValueKind == System.Text.Json.JsonValueKind.String ? o.GetString()! : "gd";
            var settings = new OptimizerSettings(name, lr.GetDouble());
            return OptimizerCatalog.Find(name)?.Limit?.TimePerStep(settings) ?? settings.Lr;
        }
        catch (System.Text.Json.JsonException) { throw new UserError($"{json} is not valid JSON; {how}."); }
    }

    private static bool Drawable(double v, bool log) => double.IsFinite(v) && (!log || v > 0);
}
