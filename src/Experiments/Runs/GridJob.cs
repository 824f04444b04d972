using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.Models;

namespace HeavyTail.Experiments.Runs;

/// <summary>What a running grid reports: each evaluated step size, and the steps of the runs in training.</summary>
/// <param name="Evaluated">a step size's runs are done: (message, runs trained so far).</param>
/// <param name="Step">runs in training: (runs trained together, step, steps, runs trained so far).</param>
public sealed record GridProgress(Action<string, int>? Evaluated = null, Action<int, int, int, int>? Step = null);

/// <summary>
/// `heavytail grid` as library calls: a grid search of a <see cref="GridSpec"/> in a folder (every run cached under
/// DIR/_cache, so a killed grid resumes), one shard of it, and the merge and refinement of shards.
/// </summary>
public static class GridJob
{
    /// <summary>
    /// Runs the grid (or shard <paramref name="shard"/> of its coarse step sizes) with its runs cached under DIR/_cache;
    /// null for a shard (merge the shards for the result).
    /// </summary>
    /// <param name="loaded">the user's arrays when already read (else read from <see cref="GridSpec.Data"/>).</param>
    /// <param name="mayTrain">the missing runs this call may train (null: all; see <see cref="RunCache.MayTrain"/>).</param>
    public static GridResult? Run(GridSpec spec, string dir, RunEnvironment env, (int K, int N)? shard = null, Problem? loaded = null,
        Func<IRunSpec, bool>? mayTrain = null, GridProgress? progress = null)
    {
        RunCache? cache = null;
        cache = new RunCache(Path.Combine(dir, "_cache"), env)
        {
            MayTrain = mayTrain,
            StepProgress = progress?.Step is { } step ? (runs, s, steps) => step(runs, s, steps, cache!.Trained) : null,
        };
        Action<string>? evaluated = progress?.Evaluated is { } ev ? msg => ev(msg, cache.Trained) : null;
        if (spec.Data is not { } data)
            return GridSearch.Run(cache, spec.Problem, spec.Optimizer, spec.Steps, spec.LogEvery, spec.Seeds, shard, spec.Lrs,
                evaluated, spec.Stability, stabilityOff: spec.Stability == null);
        var problem = loaded ?? data.Load();
        var model = LinearModel.Create(problem.Loss, problem.Data, env.Compute);
        return GridSearch.RunArrays(cache, problem, model, data.Sha256, spec.Optimizer, spec.Steps, spec.LogEvery, shard, spec.Lrs,
            evaluated, spec.Stability, stabilityOff: spec.Stability == null);
    }

    /// <summary>Runs a grid is planned to train: the coarse step sizes and the 2 half-powers per seed (a shard: its share of the coarse runs); the stability ladder may add to it.</summary>
    public static int PlannedRuns(GridSpec spec, (int K, int N)? shard)
    {
        int coarse = (spec.Lrs?.Length ?? GridSearch.Coarse().Length) * spec.Seeds.Length;
        return shard is (int k, int n) ? Enumerable.Range(0, coarse).Count(i => i % n == k) : coarse + (spec.Lrs == null ? 2 * spec.Seeds.Length : 0);
    }

    /// <summary>The grid's result when DIR/_cache holds every run the rule needs, else the runs it needs next; trains nothing.</summary>
    public static (GridResult? Complete, IReadOnlyList<IRunSpec> Needed) Needed(GridSpec spec, string dir, RunEnvironment env)
    {
        try { return (Run(spec, dir, env, mayTrain: _ => false), []); }
        catch (RunsNotTrainedException e) { return (null, e.Specs); }
    }

    /// <summary>
    /// Merges grid shards into the first folder: checks that every shard ran the same grid on the same data (before
    /// anything is copied), then copies the runs the first lacks. Returns the grid's spec.
    /// </summary>
    public static GridSpec MergeShards(IReadOnlyList<string> dirs)
    {
        var spec = GridSpec.FromJson(Path.Combine(dirs[0], "grid.json"));
        string canonical = JsonOut.Serialize(spec.ToJson(withPaths: false));
        var others = dirs.Skip(1).Select(d => (Dir: d, Spec: GridSpec.FromJson(Path.Combine(d, "grid.json")))).ToList();
        foreach (var (d, other) in others)
            if (other.Data?.Sha256 != spec.Data?.Sha256)
                throw new UserError($"{d} ran on other data than {dirs[0]} (data_sha256 {other.Data?.Sha256 ?? "none: a generated problem"} vs {spec.Data?.Sha256 ?? "none: a generated problem"}); rerun every shard on the same --x/--y.");
        var target = OutputFolder.Prepare(Path.Combine(dirs[0], "_cache"), "grid merge");
        foreach (var (d, other) in others)
        {
            if (JsonOut.Serialize(other.ToJson(withPaths: false)) != canonical) throw new UserError($"{d} holds a different grid than {dirs[0]} (problem, optimizer, steps or seeds differ).");
            CopyRuns(Path.Combine(d, "_cache"), target);
        }
        return spec;
    }

    /// <summary>What `grid refine` found: the grid, the runs the rule needs next and this shard's block of them.</summary>
    public sealed record RefinePlan(GridSpec Spec, GridResult? Complete, IReadOnlyList<IRunSpec> Needed, IReadOnlyList<IRunSpec> Mine);

    /// <summary>
    /// `grid refine` into <paramref name="dir"/>: copies the runs of <paramref name="dirs"/> into DIR/_cache, lists the runs
    /// the grid rule needs next (after the coarse grid, the half-powers around its best, every seed; after those, the
    /// stability ladder's next step size) and trains shard K of them: the K-th of N contiguous blocks of that list, which is
    /// ordered seed by seed, so N = the seed count trains each seed's step sizes together, batched as an unsharded grid does.
    /// </summary>
    public static RefinePlan Refine(IReadOnlyList<string> dirs, string dir, (int K, int N) shard, RunEnvironment env)
    {
        var spec = GridSpec.FromJson(Path.Combine(dirs[0], "grid.json"));
        string canonical = JsonOut.Serialize(spec.ToJson(withPaths: false));
        foreach (var d in dirs.Skip(1))
            if (JsonOut.Serialize(GridSpec.FromJson(Path.Combine(d, "grid.json")).ToJson(withPaths: false)) != canonical)
                throw new UserError($"{d} holds a different grid than {dirs[0]} (problem, optimizer, steps or seeds differ).");
        string own = Path.Combine(dir, "grid.json");
        if (File.Exists(own) && JsonOut.Serialize(GridSpec.FromJson(own).ToJson(withPaths: false)) != canonical)
            throw new UserError($"--out {dir} holds a different grid than {dirs[0]}; choose another --out.");
        JsonOut.Write(own, spec.ToJson());
        var target = OutputFolder.Prepare(Path.Combine(dir, "_cache"));
        foreach (var d in dirs.Where(d => Path.GetFullPath(d) != Path.GetFullPath(dir)))
            CopyRuns(Path.Combine(d, "_cache"), target);
        var (complete, needed) = Needed(spec, dir, env);
        if (complete != null) return new RefinePlan(spec, complete, [], []);
        int from = (int)((long)shard.K * needed.Count / shard.N), to = (int)((long)(shard.K + 1) * needed.Count / shard.N);
        var mine = needed.Skip(from).Take(to - from).ToList();
        var keys = mine.Select(s => s.Key()).ToHashSet();
        if (keys.Count > 0)
            try { Run(spec, dir, env, mayTrain: s => keys.Contains(s.Key())); }
            catch (RunsNotTrainedException) { } // the other shards' runs
        return new RefinePlan(spec, null, needed, mine);
    }

    /// <summary>One line per step size: η and the data seeds of its runs.</summary>
    public static IEnumerable<string> Describe(IReadOnlyList<IRunSpec> specs) =>
        specs.GroupBy(s => s.Optimizer.Lr).OrderBy(g => g.Key).Select(g =>
            $"η = {JsonOut.Number(g.Key)}: seed(s) {string.Join(", ", g.Select(s => s is RunSpec r ? r.Problem.Seed.ToString() : "–"))}");

    /// <summary>Copies finished runs (CSVs first, the status JSON last, each atomically) that <paramref name="target"/> lacks.</summary>
    public static void CopyRuns(string cache, string target)
    {
        if (!Directory.Exists(cache)) return;
        foreach (var f in Directory.GetFiles(cache).Where(f => f.EndsWith(".csv") || f.EndsWith(".json")).OrderBy(f => f.EndsWith(".json") ? 1 : 0))
        {
            var dest = Path.Combine(target, Path.GetFileName(f));
            if (!File.Exists(dest)) Analytic.IO.AtomicFile.Write(dest, tmp => File.Copy(f, tmp, true));
        }
    }

    /// <summary>The path the runs were trained on: "primal" or "gram", "mixed" when they differ (e.g. resumed with another --path), "unrecorded" for older cache entries.</summary>
    public static string PathOf(IEnumerable<RunRecord> runs)
    {
        var paths = runs.Select(r => r.Path ?? "unrecorded").Distinct().ToList();
        return paths.Count == 1 ? paths[0] : "mixed";
    }
}
