using System.Diagnostics;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Recipes.Plots;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;

namespace HeavyTail.Experiments.Recipes;

/// <summary>Problem sizes and step budgets: Tiny (smoke tests, seconds), Small (the default, minutes on 2 cores), Paper.</summary>
public enum Scale
{
    /// <summary>Smoke-test sizes: HT-Random m = 4, 30 steps, one seed (seconds).</summary>
    Tiny,
    /// <summary>The default: HT-Random m = 7, 100 steps, two seeds (minutes on 2 cores).</summary>
    Small,
    /// <summary>The paper's sizes: HT-Random m = 11, 1000 steps, three seeds.</summary>
    Paper,
}

/// <summary>Names of a <see cref="Scale"/> as the command line writes them: tiny, small, paper.</summary>
public static class Scales
{
    /// <summary>tiny, small or paper; anything else is one <see cref="UserError"/> line that says what to write.</summary>
    public static Scale Parse(string s) => s switch
    {
        "small" => Scale.Small,
        "paper" => Scale.Paper,
        "tiny" => Scale.Tiny,
        _ => throw new UserError($"unknown --scale '{s}'{Analytic.Spelling.DidYouMean(s, ["small", "paper", "tiny"])}; choose small, paper or tiny."),
    };
}

/// <summary>One row of a report's table: a prediction and what was measured.</summary>
/// <summary>
/// A prediction and what was measured. <see cref="Claim"/>: a claim from the literature under test (Tomihari &amp; Sato's),
/// reported as holding or not whichever way it comes out — a claim that does not hold is a finding, not a failure of the
/// reproduction; <see cref="Pass"/> then says whether it holds.
/// </summary>
public sealed record Check(string Name, string Predicted, string Measured, bool Pass, bool Claim = false)
{
    /// <summary>The reproduction's verdict: a prediction failed (claims never fail it).</summary>
    public bool Failed => !Pass && !Claim;

    /// <summary>pass or FAIL for a prediction; "claim holds" or "claim does not hold (finding)" for a claim.</summary>
    public string Verdict => Claim ? (Pass ? "claim holds" : "claim does not hold (finding)") : Pass ? "pass" : "FAIL";

    /// <summary>The phrase of the recipe's reading that states this check's prediction (set by <see cref="RecipeContext.Holds"/>):
    /// the reading contains it only when the check passed (issue 25 G).</summary>
    public string? Says { get; init; }
}

/// <summary>An experiment as a cookbook recipe: documentation (Description), code (Run) and its figures at once.</summary>
public interface IRecipe
{
    /// <summary>The recipe's name, as <c>heavytail run NAME</c> takes it and its output folder is named.</summary>
    string Name { get; }
    /// <summary>What the recipe shows, and which figure of the paper it reproduces (one paragraph, listed by <c>heavytail list</c>).</summary>
    string Description { get; }
    /// <summary>Runs the experiment: trains or loads its runs, writes its figures and CSVs, records checks and a reading in <paramref name="ctx"/>.</summary>
    void Run(RecipeContext ctx);
}

/// <summary>What a recipe needs and records: its folder, the scale, the shared run cache, checks, figures and a reading.</summary>
public sealed class RecipeContext
{
    /// <summary>A context for recipe <paramref name="name"/>: its output folder ROOT/NAME (created), the shared run cache ROOT/_cache, at <paramref name="scale"/>.</summary>
    public RecipeContext(string root, string name, Scale scale, RunEnvironment env)
    {
        Root = root; Name = name; Scale = scale; Env = env ?? throw new ArgumentNullException(nameof(env));
        OutDir = OutputFolder.Prepare(Path.Combine(root, name));
        Cache = new RunCache(Path.Combine(root, "_cache"), env);
    }

    /// <summary>The output root shared by the recipes of one reproduce.</summary>
    public string Root { get; }
    /// <summary>The recipe's name.</summary>
    public string Name { get; }
    /// <summary>The recipe's own folder, ROOT/NAME.</summary>
    public string OutDir { get; }
    /// <summary>Problem sizes and step budgets.</summary>
    public Scale Scale { get; }
    /// <summary>The compute context, problems, cancellation and log the recipe runs with.</summary>
    public RunEnvironment Env { get; }
    /// <summary>The run cache shared by every recipe under the same root (ROOT/_cache).</summary>
    public RunCache Cache { get; }
    /// <summary>The environment's progress log.</summary>
    public Action<string> Log => Env.Log;
    /// <summary>The environment's cancellation token.</summary>
    public CancellationToken Cancel => Env.Cancel;
    /// <summary>The checks recorded so far (the report's table).</summary>
    public List<Check> Checks { get; } = new();
    /// <summary>The figures saved so far, relative to <see cref="Root"/>.</summary>
    public List<string> Figures { get; } = new();
    /// <summary>Settings the report lists for this recipe (problem sizes, steps, step sizes…).</summary>
    public Dictionary<string, object?> Settings { get; } = new();
    /// <summary>Step sizes plotted: the grid's choice after the stability rule, by problem/optimizer.</summary>
    public Dictionary<string, double> SelectedLr { get; } = new();
    /// <summary>The final-loss rule's step sizes (before the stability rule), by the same keys.</summary>
    public Dictionary<string, double> BestLr { get; } = new();

    /// <summary>Whether the selected step size's runs meet the stability criterion on every seed (false only when no step size did).</summary>
    public Dictionary<string, bool> SelectedStable { get; } = new();
    /// <summary>Remarks the report prints under the recipe.</summary>
    public List<string> Notes { get; } = new();
    /// <summary>The recipe's reading of its results, derived from the numbers (the report's paragraph).</summary>
    public string Reading { get; set; } = "";

    /// <summary>True below paper scale (tiny or small).</summary>
    public bool Small => Scale != Scale.Paper;
    /// <summary>True at tiny scale.</summary>
    public bool Tiny => Scale == Scale.Tiny;

    /// <summary>HT-Random size: m = 7 at small scale (c = 127, n = 896, d = 1024), the paper's m = 11 otherwise.</summary>
    /// <remarks>
    /// At m = 6 the rarest classes are only 32× rarer than the most frequent ones and GD, at its selected step size, fits
    /// them within a few hundred steps; m = 7 (64×) is the smallest size at which the paper's Figure 2 reappears.
    /// </remarks>
    public int HtRandomM => HtRandomMAt(Scale);

    /// <summary>HT-Random's m at a scale: 4, 7, 11 (tiny, small, paper).</summary>
    public static int HtRandomMAt(Scale s) => s == Scale.Tiny ? 4 : s == Scale.Small ? 7 : 11;

    /// <summary>
    /// Step budget: 100 full-batch steps at small scale (≈ 1 s per run on 2 cores). In that budget Adam brings every group
    /// of m = 7 well below log c while GD's rare groups stay near it, and the selected step sizes lie inside the grid and
    /// are the same on every backend. With 200 steps GD's best step size moves into the unstable regime (η ≥ 1), where
    /// the trajectory is chaotic and whether it ends low depends on rounding (it differs between the managed and
    /// OpenBLAS GEMMs), and Adam's moves to the grid's edge (η = 10). 1000 steps at paper scale.
    /// </summary>
    public int Steps => StepsAt(Scale);

    /// <summary>The step budget at a scale: 30, 100, 1000 (tiny, small, paper).</summary>
    public static int StepsAt(Scale s) => s == Scale.Tiny ? 30 : s == Scale.Small ? 100 : 1000;

    /// <summary>Every max(1, Steps/100)-th step is logged (about 100 rows per run).</summary>
    public int LogEvery => Math.Max(1, Steps / 100);

    /// <summary>
    /// Data seeds of the grid (the worst final loss over seeds counts): two at small scale — with one, GD's selection can
    /// land on an unstable step size whose chaotic trajectory happens to end low on that seed — three at paper scale.
    /// </summary>
    public long[] Seeds => SeedsAt(Scale);

    /// <summary>The data seeds at a scale: [0], [0, 1], [0, 1, 2] (tiny, small, paper).</summary>
    public static long[] SeedsAt(Scale s) => s == Scale.Tiny ? [0] : s == Scale.Small ? [0, 1] : [0, 1, 2];

    /// <summary>Records a check; returns its verdict (the one recorded: see <see cref="RunEnvironment.ForcedFailures"/>).</summary>
    public bool Check(string name, string predicted, string measured, bool pass)
    {
        pass &= Env.ForcedFailures?.Invoke(Name, name) != true;
        Checks.Add(new Check(name, predicted, measured, pass));
        return pass;
    }

    /// <summary>A literature claim measured (see <see cref="Recipes.Check.Claim"/>): <paramref name="holds"/> is reported, never a failure.</summary>
    public bool Claim(string name, string claim, string measured, bool holds)
    {
        holds &= Env.ForcedFailures?.Invoke(Name, name) != true;
        Checks.Add(new Check(name, claim, measured, holds, Claim: true));
        return holds;
    }

    /// <summary>
    /// The reading's words for a recorded check (issue 25 G: a failed check never comes with a reading that states it):
    /// <paramref name="says"/> when the check <paramref name="check"/> passed (a claim: held), else <paramref name="otherwise"/>;
    /// <paramref name="says"/> is recorded on the check (run.json "says"), which lets a test force the check to fail and
    /// look for the phrase in the reading.
    /// </summary>
    public string Holds(string check, string says, string otherwise)
    {
        int i = Checks.FindLastIndex(c => c.Name == check);
        if (i < 0) throw new InvalidOperationException($"{Name}: the reading cites the check '{check}', which was not recorded before it.");
        Checks[i] = Checks[i] with { Says = says };
        return Checks[i].Pass ? says : otherwise;
    }

    /// <summary>Saves a figure (PNG + SVG) and lists it in the report with its caption (what to see in it).</summary>
    public void Figure(Figure f, string name, string? caption = null) { Add(f.Save(OutDir, name), caption); Drawn.Add(f); }

    /// <summary>Saves a multi-panel figure (PNG + SVG) and lists it in the report with its caption.</summary>
    public void Panels(PanelFigure f, string name, string? caption = null) { Add(f.Save(OutDir, name), caption); Drawn.AddRange(f.Panels); }

    /// <summary>Every figure (every panel) saved so far, as drawn: its plot's last render is the saved one (for checks of the layout).</summary>
    public List<Figure> Drawn { get; } = new();

    private void Add(string png, string? caption)
    {
        string rel = Path.GetRelativePath(Root, png);
        Figures.Add(rel);
        if (caption != null) Captions[rel] = caption;
    }

    /// <summary>Captions by figure path (relative to the output root).</summary>
    public Dictionary<string, string> Captions { get; } = new();

    /// <summary>Writes a CSV file into the recipe's folder (round-trip numbers, atomically).</summary>
    public void Csv(string name, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<double>> rows) =>
        Runs.Csv.Write(Path.Combine(OutDir, name), header, rows);

    /// <summary>The selected step size of an optimizer on a problem (grid rule), cached through the run cache.</summary>
    /// <param name="label">distinguishes several grids of one problem and optimizer in the report and the grid CSV's name
    /// (e.g. "a=1.5" in a sweep); the ht-random inputs are one by default.</param>
    /// <param name="seeds">data seeds of the grid (default <see cref="Seeds"/>; one for a problem without randomness).</param>
    public (GridResult Grid, RunRecord Best) Tuned(ProblemOptions problem, OptimizerSettings template, int? steps = null, string? label = null,
        IReadOnlyList<long>? seeds = null)
    {
        seeds ??= Seeds;
        var grid = GridSearch.Run(Cache, problem, template, steps ?? Steps, LogEvery, seeds, progress: Log)!;
        var best = Cache.GetOrRun(Env.Spec(problem with { Seed = seeds[0] }, template with { Lr = grid.SelectedLr }, steps ?? Steps, LogEvery));
        label ??= problem.Inputs != "uniform" ? problem.Inputs : null;
        RecordGrid(grid, $"{problem.Name}/{template.Name}" + (label != null ? $"/{label}" : ""), $"{template.Name} on {problem.Name}" + (label != null ? $" ({label})" : ""),
            $"grid_{problem.Name}{(label != null ? "_" + label : "")}_{grid.Optimizer}.csv");
        return (grid, best);
    }

    /// <summary>
    /// Records a finished grid search: the selected step size under <paramref name="key"/>, a note when it lies at the grid's
    /// edge, and (when <paramref name="csvName"/> is given) the grid as a CSV of lr, worst final loss, diverged.
    /// </summary>
    public void RecordGrid(GridResult grid, string key, string what, string? csvName)
    {
        SelectedLr[key] = grid.SelectedLr;
        BestLr[key] = grid.BestLr;
        SelectedStable[key] = !grid.NoStableStepSize;
        if (grid.AtEdge) Notes.Add($"{what}: the lowest final loss is at the edge of the grid [1e-6, 1e1] (η = {grid.BestLr:G3}).");
        if (grid.NoStableStepSize) Notes.Add($"{what}: no step size down to 1e-6 gave stable runs; the final-loss rule's η = {grid.BestLr:G3} is used.");
        if (csvName != null)
            Csv(csvName, ["lr", "worst_final_loss", "diverged", "stable"],
                grid.Points.Select(p => (IReadOnlyList<double>)[p.Lr, p.WorstScore, p.AnyDiverged ? 1 : 0, p.IsStable(grid.Stability) ? 1 : 0]));
    }

    /// <summary>The optimizers Kunstner et al. compare (arXiv 2402.19449, Appendix B), in the catalog's order.</summary>
    public static IReadOnlyList<string> PaperOptimizers { get; } = OptimizerCatalog.All.Where(o => o.Kind is OptimizerKind.Gd or OptimizerKind.GdMomentum
        or OptimizerKind.Adam or OptimizerKind.AdamNoMomentum or OptimizerKind.Sign or OptimizerKind.SignMomentum or OptimizerKind.Normalized
        or OptimizerKind.NormalizedMomentum or OptimizerKind.Pcngd).Select(o => o.Name).ToArray();

    /// <summary>
    /// Every optimizer of the catalog except adagrad, which no paper here runs: the paper's and the field's newer ones (signum,
    /// scaled sign, lion, muon, adam-blocks). A new optimizer in the catalog joins the overview recipe without editing it.
    /// </summary>
    public static IReadOnlyList<string> AllOptimizers { get; } =
        OptimizerCatalog.All.Where(o => o.Kind != OptimizerKind.Adagrad).Select(o => o.Name).ToArray();

    /// <summary><see cref="PaperOptimizers"/> without those that need the linear model's per-class passes (pcngd): for networks.</summary>
    public static IReadOnlyList<string> NetworkOptimizers { get; } =
        OptimizerCatalog.All.Where(o => PaperOptimizers.Contains(o.Name) && !o.PerClassPasses).Select(o => o.Name).ToArray();

    /// <summary>A default optimizer template (hyper-parameters as in the paper: momentum 0.9, Adam β = (0.9, 0.999)).</summary>
    public static OptimizerSettings Optimizer(string name) => new(name, 1.0);
}

/// <summary>What a recipe produced, for the report: its reading, figures, checks, selected step sizes, notes, time and error.</summary>
public sealed record RecipeOutcome(string Name, string Description, string Reading, IReadOnlyList<string> Figures, IReadOnlyList<Check> Checks,
    IReadOnlyDictionary<string, double> SelectedLr, IReadOnlyList<string> Notes, double WallSeconds, string? Error)
{
    /// <summary>The final-loss rule's step sizes, by the keys of <see cref="SelectedLr"/>.</summary>
    public IReadOnlyDictionary<string, double> BestLr { get; init; } = new Dictionary<string, double>();

    /// <summary>What to see in each figure, by its path.</summary>
    public IReadOnlyDictionary<string, string> Captions { get; init; } = new Dictionary<string, string>();

    /// <summary>The failure was the input's (a missing or corrupt data set: an IO or data-format error), not the computation's.</summary>
    public bool InputError { get; init; }

    /// <summary>
    /// Set when this execution only read its runs from the cache (<see cref="RunCache.OnlyRead"/>): its own time, while
    /// <see cref="WallSeconds"/> keeps the wall time of the execution that computed them (from the recipe's earlier run.json).
    /// </summary>
    public double? CachedReadSeconds { get; init; }
}

/// <summary>Runs recipes into a folder: DIR/NAME/ with the figures, CSVs and run.json.</summary>
public static class RecipeRunner
{
    /// <summary>Runs one recipe; a numerical failure inside it is recorded in its outcome (and run.json), not thrown.</summary>
    public static RecipeOutcome Execute(IRecipe recipe, string root, Scale scale, RunEnvironment env)
    {
        var rc = new RecipeContext(root, recipe.Name, scale, env);
        var sw = Stopwatch.StartNew();
        string? error = null;
        bool inputError = false;
        try { recipe.Run(rc); }
        catch (OperationCanceledException) { throw; }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            // a data set that is missing, truncated or corrupt: its loader's message names the file and the fix
            error = e.Message.ReplaceLineEndings(" ").Trim();
            inputError = true;
        }
        catch (Exception e) when (e is not UserError) { error = $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" ").Trim(); }
        // a rerun that only read its runs from the cache keeps the wall time of the run that computed them, and records its own apart
        string runJson = Path.Combine(rc.OutDir, "run.json"), scaleName = scale.ToString().ToLowerInvariant(), dtype = env.Compute.Precision.Name();
        double wall = sw.Elapsed.TotalSeconds;
        double? cachedRead = null;
        if (error == null && rc.Cache.OnlyRead && FirstWallSeconds(runJson, recipe.Name, scaleName, dtype) is { } first) (wall, cachedRead) = (first, wall);
        var outcome = new RecipeOutcome(recipe.Name, recipe.Description, rc.Reading, rc.Figures, rc.Checks, rc.SelectedLr, rc.Notes, wall, error)
        {
            BestLr = rc.BestLr, Captions = rc.Captions, InputError = inputError, CachedReadSeconds = cachedRead,
        };
        JsonOut.Write(runJson, new Dictionary<string, object?>
        {
            ["recipe"] = recipe.Name, ["scale"] = scaleName, ["dtype"] = dtype, ["status"] = error == null ? "finished" : "failed", ["error"] = error,
            ["wall_seconds"] = outcome.WallSeconds, ["cached_read_seconds"] = cachedRead, ["steps"] = rc.Steps, ["ht_random_m"] = rc.HtRandomM, ["seeds"] = rc.Seeds,
            ["selected_lr"] = rc.SelectedLr.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["best_lr"] = rc.BestLr.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["selected_stable"] = rc.SelectedStable.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["stability"] = StabilityCriterion.Default.ToJson(),
            ["checks"] = rc.Checks.Select(c => new Dictionary<string, object?> { ["name"] = c.Name, ["predicted"] = c.Predicted, ["measured"] = c.Measured, ["pass"] = c.Pass, ["claim"] = c.Claim, ["verdict"] = c.Verdict, ["says"] = c.Says }).ToList(),
            ["figures"] = rc.Figures, ["captions"] = rc.Captions, ["notes"] = rc.Notes, ["reading"] = rc.Reading,
        });
        return outcome;
    }

    /// <summary>
    /// The wall_seconds of the recipe's earlier run.json in this folder when it finished at the same scale and dtype (the
    /// computing run's, carried over by every cached rerun since); null when there is none or it is unreadable.
    /// </summary>
    private static double? FirstWallSeconds(string runJson, string recipe, string scale, string dtype)
    {
        try
        {
            if (!File.Exists(runJson)) return null;
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(runJson));
            var root = doc.RootElement;
            string? Text(string name) => root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
            if (Text("recipe") != recipe || Text("scale") != scale || Text("dtype") != dtype || Text("status") != "finished") return null;
            if (!root.TryGetProperty("wall_seconds", out var w) || w.ValueKind != System.Text.Json.JsonValueKind.Number) return null;
            double seconds = w.GetDouble();
            return double.IsFinite(seconds) && seconds >= 0 ? seconds : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException) { return null; }
    }
}
