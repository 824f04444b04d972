using System.Text.Json;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Recipes.Plots;

/// <summary>
/// <c>heavytail plot</c>'s request: the CSVs, the PNG to write, the x column and y columns (null: defaults), log axes, a
/// title, and per input a label and a style ("lines" or "markers"); labels are one per input, styles one (for every input)
/// or one per input.
/// </summary>
public sealed record PlotRequest(IReadOnlyList<string> Paths, string OutFile, string? X = null, IReadOnlyList<string>? Columns = null,
    bool LogX = false, bool LogY = false, string? Title = null, IReadOnlyList<string>? Labels = null, IReadOnlyList<string>? Styles = null);

/// <summary>What a plot wrote: the PNG, the notes for stderr (points a log axis left out, inputs from different problems) and the figure as saved.</summary>
public sealed record PlotResult(string Png, IReadOnlyList<string> Notes, Figure Figure);

/// <summary>Replots trajectory / flow / compare / recipe CSVs, overlaid in one figure.</summary>
public static class CsvPlots
{
    /// <summary>The styles <c>--style</c> takes.</summary>
    public static readonly string[] StyleNames = ["lines", "markers"];

    /// <summary>
    /// Draws the request's columns and saves the PNG (and an SVG beside it) atomically. Every input draws as lines unless its
    /// --style says markers (group columns, which take their group's colour, dashed for inputs after the first). Each input's curves are named
    /// "LABEL: column", LABEL from --label, else from the run.json beside the CSV (the optimizer and η of a run, the flow of
    /// a flow table), else the file name; a trajectory plotted with a flow goes onto the flow's time axis (t = η·step).
    /// </summary>
    public static PlotResult Draw(PlotRequest q, CancellationToken cancel = default)
    {
        if (!q.OutFile.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new UserError($"--out {q.OutFile} must end in .png.");
        if (q.Labels is { Count: > 0 } given && given.Count != q.Paths.Count)
            throw new UserError($"--label was given {given.Count} times for {q.Paths.Count} inputs: give one per input, in the inputs' order.");
        var labels = PerInput(q.Labels, q.Paths.Count, "--label", null);
        var styles = PerInput(q.Styles, q.Paths.Count, "--style", "lines");
        foreach (var s in styles) if (!StyleNames.Contains(s)) throw new UserError($"--style '{s}' must be lines or markers{Analytic.Spelling.DidYouMean(s!, StyleNames)}.");
        OutputFolder.PrepareFile(q.OutFile);
        var tables = q.Paths.Select(path => (Path: path, Table: Csv.Read(path, cancel))).ToList();
        bool align = q.X == null && tables.Any(t => t.Table.Header[0] == "t") && tables.Any(t => t.Table.Header[0] == "step");
        string xAxis = q.X ?? (align || tables.All(t => t.Table.Header[0] == "t") ? "time t" : tables[0].Table.Header[0]);
        var notes = new List<string>();
        var problems = q.Paths.Select(RunJson.ProblemBeside).ToList();
        bool mixed = problems.Where(d => d != null).Distinct().Count() > 1;
        if (mixed) notes.Add($"note: these files come from different problems ({string.Join("; ", q.Paths.Zip(problems, (f, d) => $"{f}: {d ?? "no run.json"}"))}); the legend names each one's problem.");
        var names = Names(q.Paths, tables.Select(t => t.Table.Header[0]).ToList(), labels);
        var fig = new Figure(q.Title ?? string.Join(" vs ", names), xAxis, "", q.LogX, q.LogY);
        var drawn = new Drawn(fig, notes);
        for (int i = 0; i < tables.Count; i++)
            DrawInput(q, drawn, tables[i].Path, tables[i].Table, names[i] + (mixed ? $" ({problems[i] ?? "problem unknown"})" : ""),
                styles[i] == "markers", dashed: i > 0 && styles[i] == "lines", align, cancel);
        if (drawn.Series == 0 && drawn.Empty.Count > 0)
            throw new UserError($"nothing to plot: {string.Join(", ", drawn.Empty.Take(4))}{(drawn.Empty.Count > 4 ? $" and {drawn.Empty.Count - 4} more" : "")} have no finite{(q.LogX || q.LogY ? ", positive" : "")} values{(q.LogY ? " (--log-y needs values > 0)" : q.LogX ? " (--log-x needs x > 0)" : "")}; no picture was written.");
        if (drawn.Series == 0) throw new UserError("nothing to plot: name the y columns with --columns.");
        var distinct = drawn.YNames.Distinct().ToList();
        bool nats = problems.All(d => d == null || !d.StartsWith("bigram", StringComparison.Ordinal));   // cross-entropy losses; the bigram model's is squared
        fig.Plot.YLabel(distinct.All(n => n == "loss" || n.EndsWith("_loss")) ? nats ? "training loss (nats)" : "training loss" : string.Join(", ", distinct.Take(3)) + (distinct.Count > 3 ? ", …" : ""));
        fig.Save(Path.GetDirectoryName(Path.GetFullPath(q.OutFile))!, Path.GetFileNameWithoutExtension(q.OutFile), cancel);
        return new PlotResult(q.OutFile, notes, fig);
    }

    private sealed class Drawn(Figure fig, List<string> notes)
    {
        public Figure Fig { get; } = fig;
        public List<string> Notes { get; } = notes;
        public List<string> YNames { get; } = [];
        public List<string> Empty { get; } = [];
        public int Series { get; set; }
    }

    private static void DrawInput(PlotRequest q, Drawn d, string path, (string[] Header, List<double[]> Rows) table, string name, bool markers, bool dashed, bool align, CancellationToken cancel)
    {
        var (header, rows) = table;
        string xName = q.X ?? header[0];
        int xi = Array.IndexOf(header, xName);
        if (xi < 0) throw new UserError($"{path} has no column '{xName}' (columns: {string.Join(", ", header)}).");
        double xScale = align && xName == "step" ? TimePerStep(path) : 1.0;
        var ys = q.Columns ?? header.Where(h => h == "loss" || h.StartsWith("group_") || (h.StartsWith("class_") && header.Count(c => c.StartsWith("class_")) <= 20)).ToArray();
        foreach (var col in ys)
        {
            cancel.ThrowIfCancellationRequested();
            int yi = Array.IndexOf(header, col);
            if (yi < 0) { if (q.Columns != null) throw new UserError($"{path} has no column '{col}' (columns: {string.Join(", ", header)})."); continue; }
            if (!rows.Any(v => Drawable(v[xi], q.LogX) && Drawable(v[yi], q.LogY))) { d.Empty.Add($"{Path.GetFileName(path)}:{col}"); continue; }
            var color = col.StartsWith("group_") ? Figure.GroupColor(yi, header.Length) : new ScottPlot.Palettes.Category10().GetColor(d.Series);
            int dropped = rows.Count(v => double.IsFinite(v[xi]) && double.IsFinite(v[yi]) && !(Drawable(v[xi], q.LogX) && Drawable(v[yi], q.LogY)));
            if (dropped > 0) d.Notes.Add($"note: {path}:{col}: the log axis left out {dropped} of {rows.Count} points ({(q.LogX && q.LogY ? "x or y" : q.LogY ? "y" : "x")} ≤ 0).");
            d.Fig.Line(rows.Select(v => v[xi] * xScale).ToArray(), rows.Select(v => v[yi]).ToArray(), color, $"{name}: {col}", dashed: dashed && col.StartsWith("group_"), markers: markers);
            d.YNames.Add(col);
            d.Series++;
        }
    }

    /// <summary>One value per input from a list of none (the fallback), one (for every input) or one per input.</summary>
    private static string?[] PerInput(IReadOnlyList<string>? given, int inputs, string option, string? fallback)
    {
        if (given == null || given.Count == 0) return Enumerable.Repeat(fallback, inputs).ToArray();
        if (given.Count == 1) return Enumerable.Repeat<string?>(given[0], inputs).ToArray();
        if (given.Count != inputs) throw new UserError($"{option} was given {given.Count} times for {inputs} inputs: give it once (for all) or once per input, in the inputs' order.");
        return given.ToArray();
    }

    /// <summary>Each input's name: its --label, else from its run.json, else its file name; equal names get their folder's name added.</summary>
    private static string[] Names(IReadOnlyList<string> paths, IReadOnlyList<string> firstColumns, IReadOnlyList<string?> labels)
    {
        var first = paths.Select((p, i) => labels[i] ?? FromRunJson(p, firstColumns[i] == "t") ?? Path.GetFileNameWithoutExtension(p)).ToArray();
        string Where(int i, bool full) => full ? Path.GetFullPath(paths[i]) : $"{Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(paths[i])))}/{Path.GetFileNameWithoutExtension(paths[i])}";
        var names = first.Select((n, i) => labels[i] == null && first.Count(m => m == n) > 1 ? $"{n} ({Where(i, false)})" : n).ToArray();
        // still equal (two folders of the same name): the whole path
        return names.Select((n, i) => labels[i] == null && names.Count(m => m == n) > 1 ? $"{first[i]} ({Where(i, true)})" : n).ToArray();
    }

    /// <summary>"gd, η = 0.5" for a run's trajectory, "gradient flow" for a flow table, from the run.json beside the CSV; null without one.</summary>
    public static string? FromRunJson(string csv, bool flowTable)
    {
        string json = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(csv))!, "run.json");
        try
        {
            if (!File.Exists(json)) return null;
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            string? Str(string key) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (flowTable && Str("flow") is { } flow) return $"{flow} flow";
            if (Str("optimizer") is { } opt)
                return root.TryGetProperty("lr", out var lr) && lr.ValueKind == JsonValueKind.Number ? $"{opt}, η = {lr.GetDouble():G4}" : opt;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
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
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            if (!root.TryGetProperty("lr", out var lr) || lr.ValueKind != JsonValueKind.Number || !(lr.GetDouble() > 0))
                throw new UserError($"{json} records no positive lr, so {trajectory}'s steps cannot be put on the flow's time axis; {how}.");
            string name = root.TryGetProperty("optimizer", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : "gd";
            var settings = new OptimizerSettings(name, lr.GetDouble());
            return OptimizerCatalog.Find(name)?.Limit?.TimePerStep(settings) ?? settings.Lr;
        }
        catch (JsonException) { throw new UserError($"{json} is not valid JSON; {how}."); }
    }

    private static bool Drawable(double v, bool log) => double.IsFinite(v) && (!log || v > 0);
}
