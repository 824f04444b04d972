using System.Globalization;
using System.Text;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Recipes;

/// <summary>
/// What `heavytail study` runs: the paper's grid rule (with the stability rule) for each optimizer on one data set — the
/// user's arrays (<see cref="GridSpec.Data"/>) or a generated problem — then the figure and checks of the paper's Figure 2.
/// </summary>
/// <param name="Grid">the grid every optimizer runs (its <see cref="GridSpec.Optimizer"/> is replaced per optimizer).</param>
/// <param name="Optimizers">the optimizers' templates (step size ignored: the grid picks it).</param>
/// <param name="Problem">the data set, loaded (its groups are the ones the figures and checks use).</param>
public sealed record StudyRequest(GridSpec Grid, IReadOnlyList<OptimizerSettings> Optimizers, Problem Problem);

/// <summary>One optimizer of a study: its grid and the run at the selected step size (seed 0), with per-group losses.</summary>
public sealed record StudyRun(string Optimizer, GridResult Grid, RunRecord Selected)
{
    /// <summary>L_T/L_0 of the rarest group at the selected step size.</summary>
    public double RarestFraction => RecipePlots.RarestGroupRatio(Selected);
}

/// <summary>A finished study: every optimizer's run, the checks of the paper's Figure 2 on this data, and the reading derived from them.</summary>
public sealed record StudyResult(StudyRequest Request, IReadOnlyList<StudyRun> Runs, IReadOnlyList<Check> Checks, string Reading);

/// <summary>`heavytail study` as one library call: your own data → the paper's Figure 2, with its checks.</summary>
public static class Study
{
    /// <summary>The sign-like optimizers the paper predicts to fit rare classes at a similar speed to frequent ones (Adam and sign descent, with and without momentum, and their sign-based relatives).</summary>
    public static bool IsSignLike(OptimizerKind kind) => kind is OptimizerKind.Adam or OptimizerKind.AdamNoMomentum or OptimizerKind.AdamBlocks
        or OptimizerKind.Sign or OptimizerKind.SignMomentum or OptimizerKind.Signum or OptimizerKind.Lion;

    /// <summary>
    /// Runs every optimizer's grid in <paramref name="dir"/> (runs cached under DIR/_cache: a killed study resumes), writes
    /// DIR/OPTIMIZER/{grid.csv, best.json, grid.png, trajectory.csv}, figure2.png, overall.png, class_distribution.csv,
    /// study.json and report.md; returns what it measured.
    /// </summary>
    /// <param name="progress">each grid's progress (<see cref="GridJob.Run"/>).</param>
    /// <param name="log">one line as each optimizer's grid starts and ends.</param>
    public static StudyResult Run(StudyRequest request, string dir, RunEnvironment env, GridProgress? progress = null, Action<string>? log = null)
    {
        var runs = new List<StudyRun>();
        foreach (var optimizer in request.Optimizers)
        {
            log?.Invoke($"{optimizer.Name}: grid of {request.Grid.Steps} steps");
            var grid = GridJob.Run(request.Grid with { Optimizer = optimizer }, dir, env, loaded: request.Problem, progress: progress)!;
            string own = Path.Combine(dir, optimizer.Name);
            Directory.CreateDirectory(own);
            string written = GridFiles.Write(grid, own, env.Compute.Precision, request.Grid.Data);
            log?.Invoke(written);
            var selected = grid.Selected.Runs[0];
            Trajectory.Write(Path.Combine(own, "trajectory.csv"), selected.Rows, request.Problem.Groups.K);
            runs.Add(new StudyRun(optimizer.Name, grid, selected));
        }
        var (checks, reading) = Verdicts(runs, request.Grid.Steps);
        var result = new StudyResult(request, runs, checks, reading);
        WriteFigures(result, dir);
        WriteRecords(result, dir, env.Compute.Precision);
        return result;
    }

    /// <summary>
    /// The paper's Figure 2 checks on this data: GD leaves the rarest group near its initial loss (fraction ≥ 0.8), each
    /// sign-like optimizer brings it well below (≤ 0.5) and below GD's fraction; the reading states what held.
    /// </summary>
    public static (IReadOnlyList<Check> Checks, string Reading) Verdicts(IReadOnlyList<StudyRun> runs, int steps)
    {
        var checks = new List<Check>();
        var gd = runs.FirstOrDefault(r => r.Optimizer == "gd");
        if (gd != null)
            checks.Add(new Check("GD rarest group", "stays close to its initial loss (fraction ≥ 0.8)", $"fraction {gd.RarestFraction:G3}", gd.RarestFraction >= 0.8));
        foreach (var r in runs.Where(r => IsSignLike(OptimizerCatalog.Get(r.Optimizer).Kind)))
        {
            checks.Add(new Check($"{r.Optimizer} rarest group", "falls well below its initial loss (fraction ≤ 0.5)", $"fraction {r.RarestFraction:G3}", r.RarestFraction <= 0.5));
            if (gd != null)
                checks.Add(new Check($"{r.Optimizer} vs GD", "fits the rarest group further than GD (smaller fraction)",
                    $"{r.RarestFraction:G3} vs GD {gd.RarestFraction:G3}", r.RarestFraction < gd.RarestFraction));
        }
        return (checks, Reading(runs, checks, steps));
    }

    private static string Reading(IReadOnlyList<StudyRun> runs, IReadOnlyList<Check> checks, int steps)
    {
        var sb = new StringBuilder($"After {steps} steps at the selected step sizes the rarest group keeps ");
        sb.Append(string.Join(", ", runs.Select(r => $"{r.RarestFraction:G3} of its initial loss under {r.Optimizer}"))).Append(". ");
        var versus = checks.Where(c => c.Name.EndsWith(" vs GD")).ToList();
        if (versus.Count == 0) sb.Append("No sign-like optimizer was compared with GD, so the paper's contrast is not tested here.");
        else if (versus.All(c => c.Pass)) sb.Append("Every sign-like optimizer fits the rare classes further than GD: the paper's Figure 2 reappears on this data.");
        else if (versus.All(c => !c.Pass)) sb.Append("No sign-like optimizer fits the rare classes further than GD: the paper's Figure 2 does not reappear on this data.");
        else sb.Append($"Only {string.Join(", ", versus.Where(c => c.Pass).Select(c => c.Name[..^6]))} fit the rare classes further than GD; " +
                       $"{string.Join(", ", versus.Where(c => !c.Pass).Select(c => c.Name[..^6]))} do not.");
        var gdCheck = checks.FirstOrDefault(c => c.Name == "GD rarest group");
        if (gdCheck != null) sb.Append(gdCheck.Pass ? " GD leaves the rarest group near where it started, as in the paper." : " GD itself fits the rarest group (its fraction is below 0.8): the imbalance of this data does not stall GD in this step budget.");
        var edge = runs.Where(r => r.Grid.AtEdge).Select(r => r.Optimizer).ToList();
        if (edge.Count > 0)
            sb.Append($" The lowest final loss of {string.Join(", ", edge)} lies at the edge of the grid [1e-6, 1e1]: there the comparison may measure the step budget rather than the optimizer.");
        return sb.ToString();
    }

    private static void WriteFigures(StudyResult result, string dir)
    {
        var p = result.Request.Problem;
        string data = result.Request.Grid.Data is { } own ? Path.GetFileName(own.X) : p.Name;
        var panels = new List<Figure> { RecipePlots.ClassHistogram(p, $"(a) {data}: c = {p.Data.C}, n = {p.Data.N}") };
        for (int i = 0; i < result.Runs.Count; i++)
        {
            var r = result.Runs[i];
            var f = RecipePlots.PerGroup(r.Selected, $"({(char)('b' + i)}) {r.Optimizer}, η = {r.Grid.SelectedLr:G3}", legend: i == 0);
            if (p.Groups.K > 6) LabelEndGroupsOnly(f); // a legend of ≤ 4 entries stays inside a third of the width
            panels.Add(f);
        }
        new PanelFigure(panels, sharedY: Enumerable.Range(1, result.Runs.Count).ToArray()).Save(dir, "figure2");
        RecipePlots.Overall(result.Runs.Select(r => (r.Optimizer, r.Selected)), $"{data}: overall training loss").Save(dir, "overall");
    }

    /// <summary>Keeps the legend entries of the first and last group and the overall line (the colour ramp says the rest).</summary>
    private static void LabelEndGroupsOnly(Figure f)
    {
        foreach (var line in f.Plot.GetPlottables<ScottPlot.Plottables.Scatter>())
            if (line.LegendText is { } text && text.StartsWith("group ") && !text.Contains('(')) line.LegendText = "";
    }

    private static void WriteRecords(StudyResult result, string dir, Precision precision)
    {
        var p = result.Request.Problem;
        Csv.Write(Path.Combine(dir, "class_distribution.csv"), ["class", "samples", "frequency", "group"],
            Enumerable.Range(0, p.Data.C).Select(k => (IReadOnlyList<double>)[k, p.Data.ClassCounts[k], p.Data.ClassMass[k], p.Groups.GroupOf[k]]));
        var groups = Enumerable.Range(0, p.Groups.K).Select(g => new Dictionary<string, object?>
        {
            ["group"] = g, ["classes"] = p.Groups.ClassesIn(g), ["mass"] = p.Groups.Mass[g],
        }).ToList();
        JsonOut.Write(Path.Combine(dir, "study.json"), new Dictionary<string, object?>
        {
            ["grid"] = result.Request.Grid.ToJson(), ["dtype"] = precision.Name(), ["problem"] = RunJson.Of(p),
            ["data_sha256"] = result.Request.Grid.Data?.Sha256, ["groups"] = groups,
            ["selected_lr"] = result.Runs.ToDictionary(r => r.Optimizer, r => (object?)r.Grid.SelectedLr),
            ["rarest_group_fraction"] = result.Runs.ToDictionary(r => r.Optimizer, r => (object?)r.RarestFraction),
            ["checks"] = result.Checks.Select(c => new Dictionary<string, object?> { ["name"] = c.Name, ["predicted"] = c.Predicted, ["measured"] = c.Measured, ["pass"] = c.Pass }).ToList(),
            ["reading"] = result.Reading,
        });
        Analytic.IO.AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), Report(result));
    }

    private static string Report(StudyResult result)
    {
        var p = result.Request.Problem;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder($"# Study: {p.Name} (n = {p.Data.N}, d = {p.Data.D}, c = {p.Data.C}, {p.Groups.K} frequency groups)\n\n");
        sb.Append("![figure 2](figure2.png)\n\n![overall](overall.png)\n\n");
        sb.Append("| optimizer | selected η | final loss (nats) | rarest group: initial → final | fraction |\n|---|---|---|---|---|\n");
        foreach (var r in result.Runs)
            sb.Append(inv, $"| {r.Optimizer} | {r.Grid.SelectedLr:G3} | {r.Selected.FinalLoss:G4} | {r.Selected.Rows[0].GroupLosses[^1]:G4} → {r.Selected.Rows[^1].GroupLosses[^1]:G4} | {r.RarestFraction:G3} |\n");
        sb.Append("\n| check | predicted (the paper's Figure 2) | measured | verdict |\n|---|---|---|---|\n");
        foreach (var c in result.Checks) sb.Append($"| {c.Name} | {c.Predicted} | {c.Measured} | {(c.Pass ? "pass" : "FAIL")} |\n");
        sb.Append($"\n{result.Reading}\n");
        return sb.ToString();
    }
}
