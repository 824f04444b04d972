using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.IO;
using HeavyTail.Analytic.Models;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs;

/// <summary>
/// Training runs stored on disk by the hash of their settings: DIR/KEY.csv (trajectory) and DIR/KEY.json (status),
/// each written atomically, the JSON last, so a run counts as done only when both are complete. A rerun with the same
/// settings reads the result instead of training; an invalid entry (see <see cref="Load"/>) is noted and trained again. Observer tables (see
/// <see cref="RunSpec.Observe"/>) are stored as DIR/KEY.NAME.csv before the JSON.
/// </summary>
public sealed class RunCache(string directory, RunEnvironment env)
{
    /// <summary>The folder the runs are stored in.</summary>
    public string Directory { get; } = directory;
    /// <summary>Where missing runs are trained: compute context, problem cache, cancellation, log.</summary>
    public RunEnvironment Environment { get; } = env ?? throw new ArgumentNullException(nameof(env));

    /// <summary>Runs trained (not read from disk) by this instance.</summary>
    public int Trained { get; private set; }

    /// <summary>Entries written by this instance (<see cref="Store"/>): runs trained here or by a caller that stores its own (the TorchSharp recipes).</summary>
    public int Stored => _stored;
    private int _stored;

    /// <summary>Valid entries read by this instance (<see cref="Load"/>, <see cref="TryLoad"/> and every GetOrRun that finds its run).</summary>
    public int Read => _read;
    private int _read;

    /// <summary>
    /// True when this instance read runs from disk and wrote none: the work it stood for was done by an earlier call, so
    /// a caller timing itself measured a cached read, not the computation (a recipe then keeps its first wall time).
    /// </summary>
    public bool OnlyRead => Stored == 0 && Read > 0;

    /// <summary>
    /// Which missing runs this cache may train (null: every one). A call that needs runs it may not train trains the
    /// allowed ones and then throws <see cref="RunsNotTrainedException"/> listing the others: `grid merge --no-train`
    /// (none allowed) lists the runs a grid needs next; `grid refine --shard K/N` trains its share of them.
    /// </summary>
    public Func<IRunSpec, bool>? MayTrain { get; init; }

    /// <summary>The specs among <paramref name="missing"/> this cache may not train.</summary>
    private List<T> Refused<T>(IEnumerable<T> missing) where T : IRunSpec => MayTrain is { } may ? missing.Where(s => !may(s)).ToList() : [];

    /// <summary>Called after every step of a training call with (runs trained together, steps done, step budget): for a progress display.</summary>
    public Action<int, int, int>? StepProgress { get; init; }

    private Action<int>? StepsOf(int runs, int steps) => StepProgress is { } p ? done => p(runs, done, steps) : null;

    /// <summary>Reads a valid stored run of <paramref name="spec"/>; false when there is none (or it is invalid).</summary>
    public bool TryLoad(IRunSpec spec, out RunRecord record)
    {
        record = Load(spec, out _)!;
        return record != null;
    }

    /// <summary>
    /// The stored run, or null: absent (<paramref name="invalid"/> null) or invalid (<paramref name="invalid"/> says why).
    /// An entry is valid when its JSON is an object of the expected types, for this spec (canonical text, steps), its
    /// checksums match the CSVs and its own fields (so an edited loss or a flipped status is caught), its trajectory runs
    /// from step 0 upwards, a finished run reaches the step budget with finite losses only, and final_loss is the CSV's
    /// last loss. Reading an entry never throws (short of cancellation).
    /// </summary>
    public RunRecord? Load(IRunSpec spec, out string? invalid)
    {
        invalid = null;
        string key = spec.Key(), json = Path.Combine(Directory, key + ".json"), csv = Path.Combine(Directory, key + ".csv");
        foreach (var path in new[] { json, csv })
            if (System.IO.Directory.Exists(path)) { invalid = $"{Path.GetFileName(path)} is a folder"; return null; }
        if (!File.Exists(json) || !File.Exists(csv)) return null;
        try
        {
            var rec = Validate(spec, key, json, csv, out invalid);
            if (rec != null) Interlocked.Increment(ref _read);
            return rec;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            invalid = UserError.OneLine(e);
            return null;
        }
    }

    private RunRecord? Validate(IRunSpec spec, string key, string json, string csv, out string? invalid)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        if (ValidateFields(doc.RootElement, spec, key, csv, out invalid) is not { } fields) return null;
        if (ValidateTrajectory(spec, csv, fields, out invalid) is not { } list) return null;
        if (ValidateTables(spec, key, fields.TableHashes, out invalid) is not { } tables) return null;
        invalid = null;
        return new RunRecord(spec, list, fields.Diverged, fields.WallSeconds) { Tables = tables, Path = fields.Path };
    }

    /// <summary>A cache entry's JSON fields, once their types, this spec's settings and the checksums are checked.</summary>
    private sealed record EntryFields(bool Diverged, double WallSeconds, double FinalLoss, SortedDictionary<string, string> TableHashes, string? Path);

    /// <summary>The JSON's fields, or null (<paramref name="invalid"/> says why): types, this spec's canonical text and steps, the CSV's and the entry's checksums.</summary>
    private static EntryFields? ValidateFields(JsonElement root, IRunSpec spec, string key, string csv, out string? invalid)
    {
        EntryFields? Bad(string why, out string? inv) { inv = why; return null; }
        if (root.ValueKind != JsonValueKind.Object) return Bad($"the JSON is {root.ValueKind}, not an object", out invalid);
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        double? Number(string name, bool nullable)
        {
            if (!root.TryGetProperty(name, out var v)) return null;
            if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
            return nullable && v.ValueKind == JsonValueKind.Null ? double.NaN : null;
        }
        if (Text("canonical") is not { } canonical) return Bad("canonical is missing or not a string", out invalid);
        if (canonical != spec.Canonical()) return Bad("its settings are another run's", out invalid);
        if (Text("status") is not ("finished" or "diverged")) return Bad("status is not \"finished\" or \"diverged\"", out invalid);
        bool diverged = Text("status") == "diverged";
        if (Number("wall_seconds", false) is not { } wall || !(wall >= 0) || !double.IsFinite(wall)) return Bad("wall_seconds is not a non-negative number", out invalid);
        if (Number("final_loss", true) is not { } finalLoss) return Bad("final_loss is not a number or null", out invalid);
        if (Number("steps", false) is not { } steps || steps != spec.Steps) return Bad($"steps is not {spec.Steps}", out invalid);
        if (Text("csv_sha256") is not { } csvHash || Sha256(File.ReadAllBytes(csv)) != csvHash) return Bad($"{key}.csv does not match its checksum", out invalid);
        var tableHashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("tables_sha256", out var th))
        {
            if (th.ValueKind != JsonValueKind.Object) return Bad("tables_sha256 is not an object", out invalid);
            foreach (var p in th.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) return Bad($"tables_sha256.{p.Name} is not a string", out invalid);
                tableHashes[p.Name] = p.Value.GetString()!;
            }
        }
        if (Text("entry_sha256") != EntryHash(canonical, diverged, csvHash, tableHashes)) return Bad("its fields do not match their checksum (edited?)", out invalid);
        invalid = null;
        return new EntryFields(diverged, wall, finalLoss, tableHashes, Text("path"));
    }

    /// <summary>
    /// The CSV's trajectory, or null (<paramref name="invalid"/> says why): step, loss and group-loss columns, whole
    /// increasing steps from 0 to the budget (a diverged run: not past it), finite losses in a finished run, final_loss last.
    /// </summary>
    private static List<TrainingRow>? ValidateTrajectory(IRunSpec spec, string csv, EntryFields fields, out string? invalid)
    {
        List<TrainingRow>? Bad(string why, out string? inv) { inv = why; return null; }
        bool diverged = fields.Diverged;
        var (header, rows) = Csv.Read(csv);
        if (header.Length < 3 || header[0] != "step" || header[1] != "loss") return Bad("the CSV's columns are not step, loss, group losses", out invalid);
        var list = new List<TrainingRow>(rows.Count);
        foreach (var r in rows)
        {
            if (!(r[0] >= 0) || r[0] > int.MaxValue || r[0] != Math.Floor(r[0])) return Bad($"step {r[0]} is not a step number", out invalid);
            if (list.Count > 0 && r[0] <= list[^1].Step) return Bad("its steps do not increase", out invalid);
            if (!diverged && r.Skip(1).Any(v => !double.IsFinite(v))) return Bad($"a finished run has a non-finite loss at step {r[0]}", out invalid);
            list.Add(new TrainingRow((int)r[0], r[1], r[2..]));
        }
        // a complete trajectory starts at step 0 and ends at the step budget (or where the run diverged, not past it)
        if (list.Count == 0 || list[0].Step != 0) return Bad("its trajectory does not start at step 0", out invalid);
        if (!diverged && list[^1].Step != spec.Steps) return Bad($"a finished run ends at step {list[^1].Step}, not {spec.Steps}", out invalid);
        if (diverged && list[^1].Step > spec.Steps) return Bad($"it ends at step {list[^1].Step}, past the budget {spec.Steps}", out invalid);
        if (!SameNumber(fields.FinalLoss, list[^1].Loss)) return Bad($"final_loss {fields.FinalLoss} is not the CSV's last loss {list[^1].Loss}", out invalid);
        invalid = null;
        return list;
    }

    /// <summary>The spec's observer table (none when it asks for none), or null (<paramref name="invalid"/> says why): present, matching its checksum, from step 0.</summary>
    private Dictionary<string, (string[], IReadOnlyList<double[]>)>? ValidateTables(IRunSpec spec, string key, SortedDictionary<string, string> tableHashes, out string? invalid)
    {
        Dictionary<string, (string[], IReadOnlyList<double[]>)>? Bad(string why, out string? inv) { inv = why; return null; }
        var tables = new Dictionary<string, (string[], IReadOnlyList<double[]>)>();
        if (spec.Observe is { } name)
        {
            string table = TablePath(key, name);
            if (!File.Exists(table)) return Bad($"its {name} table is missing", out invalid);
            if (!tableHashes.TryGetValue(name, out var hash) || Sha256(File.ReadAllBytes(table)) != hash) return Bad($"its {name} table does not match its checksum", out invalid);
            var (tableHeader, tableRows) = Csv.Read(table);
            if (tableRows.Count == 0 || tableRows[0][0] != 0) return Bad($"its {name} table does not start at step 0", out invalid);
            tables[name] = (tableHeader, tableRows);
        }
        invalid = null;
        return tables;
    }

    /// <summary>Equal doubles, NaN equal to NaN (JSON null reads as NaN; ±∞ are written as null too).</summary>
    private static bool SameNumber(double a, double b) => a == b || (!double.IsFinite(a) && !double.IsFinite(b) && double.IsNaN(a));

    private static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>The checksum of an entry's own fields: canonical text, status and the CSVs' checksums.</summary>
    private static string EntryHash(string canonical, bool diverged, string csvHash, IEnumerable<KeyValuePair<string, string>> tables) =>
        Sha256(System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
            new[] { canonical, diverged ? "diverged" : "finished", csvHash }.Concat(tables.Select(t => $"{t.Key}={t.Value}")))));

    /// <summary>Stores a run: its trajectory CSV and observer tables first, then the JSON that marks it complete, each atomically.</summary>
    public void Store(RunRecord r)
    {
        string key = r.Spec.Key();
        string csv = Path.Combine(Directory, key + ".csv"), json = Path.Combine(Directory, key + ".json");
        var tablePaths = r.Tables.Keys.Select(name => TablePath(key, name));
        foreach (var path in tablePaths.Append(csv).Append(json))
            if (System.IO.Directory.Exists(path)) throw new UserError($"the run cache's entry {path} is a folder; remove it and rerun.");
        try { System.IO.Directory.CreateDirectory(Directory); }
        catch (IOException e) { throw new UserError($"cannot create the run cache {Directory} ({UserError.OneLine(e)}); is a file in the way?"); }
        int groups = r.Rows[0].GroupLosses.Length;
        Trajectory.Write(csv, r.Rows, groups);
        var tableHashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, (header, rows)) in r.Tables)
        {
            Csv.Write(TablePath(key, name), header, rows.Select(row => (IReadOnlyList<double>)row));
            tableHashes[name] = Sha256(File.ReadAllBytes(TablePath(key, name)));
        }
        string csvHash = Sha256(File.ReadAllBytes(csv));
        var entry = new Dictionary<string, object?>
        {
            ["canonical"] = r.Spec.Canonical(), ["status"] = r.Diverged ? "diverged" : "finished",
            ["final_loss"] = r.FinalLoss, ["initial_loss"] = r.InitialLoss, ["wall_seconds"] = r.WallSeconds,
            ["optimizer"] = r.Spec.Optimizer.Name, ["lr"] = r.Spec.Optimizer.Lr, ["steps"] = r.Spec.Steps,
            ["csv_sha256"] = csvHash, ["tables_sha256"] = tableHashes.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["entry_sha256"] = EntryHash(r.Spec.Canonical(), r.Diverged, csvHash, tableHashes),
        };
        // the path (primal or gram) is informational: not in the key (same numbers up to rounding) nor in the entry checksum
        if (r.Path != null) entry["path"] = r.Path;
        JsonOut.Write(json, entry);
        Interlocked.Increment(ref _stored);
    }

    /// <summary>The stored run, or null; an invalid entry is noted in the log (one line) and counts as absent.</summary>
    private RunRecord? LoadNoting(IRunSpec spec)
    {
        var rec = Load(spec, out var invalid);
        if (invalid != null) Environment.Log($"note: cache entry {Path.Combine(Directory, spec.Key())} is invalid ({invalid}); training it again.");
        return rec;
    }

    /// <summary>A spec is trained in this cache's environment only when it asks for that environment's precision (else its key would lie).</summary>
    private void CheckPrecision(RunSpec spec)
    {
        if (spec.Precision != Environment.Compute.Precision)
            throw new ArgumentException($"the run asks for {spec.Precision} but backend {Environment.Compute.Backend} computes in {Environment.Compute.Precision}; make the spec with RunEnvironment.Spec.");
    }

    private string TablePath(string key, string name) => Path.Combine(Directory, $"{key}.{name}.csv");

    /// <summary>
    /// Trains the specs that are not cached yet — together, as one <see cref="BatchedLinearStepper"/> run, when they share the problem,
    /// step budget and logging (pcngd, which needs per-class passes, runs alone) — and stores each result.
    /// </summary>
    public void EnsureAll(IReadOnlyList<RunSpec> specs)
    {
        foreach (var s in specs) CheckPrecision(s);
        var missing = specs.Where(s => LoadNoting(s) == null).ToList();
        var refused = Refused(missing);
        missing.RemoveAll(refused.Contains);
        foreach (var group in missing.GroupBy(s => (s.Problem, s.Steps, s.LogEvery, s.Observe, Batchable: s.Observe == null && !s.Optimizer.Descriptor.PerClassPasses)))
        {
            if (!group.Key.Batchable || group.Count() == 1) { foreach (var s in group) Train(s); continue; }
            var (problem, model) = Environment.Problems.Get(group.Key.Problem);
            TrainBatched(problem, model, group.ToList(), group.Key.Steps, group.Key.LogEvery);
        }
        if (refused.Count > 0) throw new RunsNotTrainedException(refused);
    }

    /// <summary>
    /// Trains the specs on <paramref name="problem"/> that are not cached yet (the user's arrays: <see cref="ArraysRunSpec"/>),
    /// batched as <see cref="EnsureAll(IReadOnlyList{RunSpec})"/> does, and stores each result.
    /// </summary>
    public void EnsureAll(Problem problem, LinearModel model, IReadOnlyList<ArraysRunSpec> specs)
    {
        foreach (var s in specs)
            if (s.Precision != Environment.Compute.Precision)
                throw new ArgumentException($"the run asks for {s.Precision} but backend {Environment.Compute.Backend} computes in {Environment.Compute.Precision}.");
        var missing = specs.Where(s => LoadNoting(s) == null).ToList();
        var refused = Refused(missing);
        missing.RemoveAll(refused.Contains);
        foreach (var group in missing.GroupBy(s => (s.Steps, s.LogEvery, Batchable: !s.Optimizer.Descriptor.PerClassPasses)))
        {
            if (!group.Key.Batchable) { foreach (var s in group) TrainBatched(problem, model, [s], s.Steps, s.LogEvery); continue; }
            TrainBatched(problem, model, group.ToList(), group.Key.Steps, group.Key.LogEvery);
        }
        if (refused.Count > 0) throw new RunsNotTrainedException(refused);
    }

    /// <summary>The cached run on the user's arrays, or one trained now (and stored).</summary>
    public RunRecord GetOrRun(ArraysRunSpec spec, Problem problem, LinearModel model)
    {
        EnsureAll(problem, model, [spec]);
        return LoadNoting(spec) ?? throw new InvalidOperationException($"run {spec.Key()} was trained but cannot be read back from {Directory}.");
    }

    /// <summary>Trains runs on one problem from W = 0 together (one <see cref="BatchedLinearStepper"/> per chunk) and stores each.</summary>
    private void TrainBatched(Problem problem, LinearModel model, IReadOnlyList<IRunSpec> specs, int steps, int logEvery)
    {
        // a run in a batch holds W, G (wide and its own copies) and its logits: 8·(4·d·c + n·c) bytes; batches stay under 4 GB
        long perRun = 8L * (4L * model.D * model.C + (long)model.N * model.C);
        int maxRuns = (int)Math.Clamp((4L << 30) / perRun, 1, 64);
        foreach (var list in specs.Chunk(maxRuns))
        {
            var (results, path) = RunTraining.TrainWithPath(Environment, problem, model, list.Select(s => s.Optimizer).ToList(), new TrainingSchedule(steps, logEvery),
                progress: StepsOf(list.Length, steps));
            for (int i = 0; i < list.Length; i++)
            {
                Store(new RunRecord(list[i], results[i].Rows, results[i].Diverged, results[i].WallSeconds) { Path = TrainingPaths.Name(path) });
                Trained++;
            }
        }
    }

    /// <summary>The cached run, or one trained now by <paramref name="train"/> (and stored).</summary>
    public RunRecord GetOrRun(IRunSpec spec, Func<RunRecord> train)
    {
        if (LoadNoting(spec) is { } hit) return hit;
        if (Refused([spec]).Count > 0) throw new RunsNotTrainedException([spec]);
        var rec = train();
        Store(rec);
        Trained++;
        return rec;
    }

    /// <summary>The cached run, or a new one trained now (and stored), with its observer table when the spec asks for one.</summary>
    public RunRecord GetOrRun(RunSpec spec)
    {
        CheckPrecision(spec);
        if (LoadNoting(spec) is { } hit) return hit;
        if (Refused([spec]).Count > 0) throw new RunsNotTrainedException([spec]);
        return Train(spec);
    }

    private RunRecord Train(RunSpec spec)
    {
        var (problem, model) = Environment.Problems.Get(spec.Problem);
        var observer = spec.Observe is { } name ? RunObservers.Create(name, model, 1) : null;
        var (results, path) = RunTraining.TrainWithPath(Environment, problem, model, [spec.Optimizer], new TrainingSchedule(spec.Steps, spec.LogEvery),
            observer != null ? [observer] : null, StepsOf(1, spec.Steps));
        var result = results[0];
        var tables = new Dictionary<string, (string[], IReadOnlyList<double[]>)>();
        if (observer != null) tables[observer.Name] = ([.. observer.Header], observer.Rows(0));
        var rec = new RunRecord(spec, result.Rows, result.Diverged, result.WallSeconds) { Tables = tables, Path = TrainingPaths.Name(path) };
        Store(rec);
        Trained++;
        return rec;
    }
}

/// <summary>Runs a call needed that the cache may not train (<see cref="RunCache.MayTrain"/>), in the order the call asked for them.</summary>
public sealed class RunsNotTrainedException(IReadOnlyList<IRunSpec> specs)
    : Exception($"{specs.Count} run(s) needed that this cache may not train")
{
    /// <summary>The runs needed but not trained, in the order they were asked for.</summary>
    public IReadOnlyList<IRunSpec> Specs { get; } = specs;
}
