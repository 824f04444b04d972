using System.Globalization;
using System.Text.Json;
using HeavyTail.Analytic.IO;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs;

/// <summary>
/// Training runs stored on disk by the hash of their settings: DIR/KEY.csv (trajectory) and DIR/KEY.json (status),
/// each written atomically, the JSON last, so a run counts as done only when both are complete. A rerun with the same
/// settings reads the result instead of training; a corrupt entry is trained again. Observer tables (see
/// <see cref="RunSpec.Observe"/>) are stored as DIR/KEY.NAME.csv before the JSON.
/// </summary>
public sealed class RunCache(string directory, RunEnvironment env)
{
    public string Directory { get; } = directory;
    public RunEnvironment Environment { get; } = env ?? throw new ArgumentNullException(nameof(env));

    /// <summary>Runs trained (not read from disk) by this instance.</summary>
    public int Trained { get; private set; }

    public bool TryLoad(IRunSpec spec, out RunRecord record)
    {
        record = null!;
        string key = spec.Key(), json = Path.Combine(Directory, key + ".json"), csv = Path.Combine(Directory, key + ".csv");
        if (!File.Exists(json) || !File.Exists(csv)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            if (doc.RootElement.GetProperty("canonical").GetString() != spec.Canonical()) return false;
            bool diverged = doc.RootElement.GetProperty("status").GetString() == "diverged";
            double wall = doc.RootElement.GetProperty("wall_seconds").GetDouble();
            var (header, rows) = Csv.Read(csv);
            if (header.Length < 3 || header[0] != "step" || header[1] != "loss") return false;
            var list = rows.Select(r => new TrainingRow((int)r[0], r[1], r[2..])).ToList();
            // a complete trajectory starts at step 0 and ends at the step budget (or where the run diverged)
            if (list.Count == 0 || list[0].Step != 0 || (!diverged && list[^1].Step != spec.Steps)) return false;
            var tables = new Dictionary<string, (string[], IReadOnlyList<double[]>)>();
            if (spec is RunSpec { Observe: { } name })
            {
                string table = TablePath(key, name);
                if (!File.Exists(table)) return false;
                var (th, tr) = Csv.Read(table);
                if (tr.Count == 0 || tr[0][0] != 0) return false;
                tables[name] = (th, tr);
            }
            record = new RunRecord(spec, list, diverged, wall) { Tables = tables };
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or KeyNotFoundException or FormatException or IOException)
        {
            return false;
        }
    }

    public void Store(RunRecord r)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string key = r.Spec.Key();
        int groups = r.Rows[0].GroupLosses.Length;
        Trajectory.Write(Path.Combine(Directory, key + ".csv"), r.Rows, groups);
        foreach (var (name, (header, rows)) in r.Tables)
            Csv.Write(TablePath(key, name), header, rows.Select(row => (IReadOnlyList<double>)row));
        JsonOut.Write(Path.Combine(Directory, key + ".json"), new Dictionary<string, object?>
        {
            ["canonical"] = r.Spec.Canonical(), ["status"] = r.Diverged ? "diverged" : "finished",
            ["final_loss"] = r.FinalLoss, ["initial_loss"] = r.InitialLoss, ["wall_seconds"] = r.WallSeconds,
            ["optimizer"] = r.Spec.Optimizer.Name, ["lr"] = r.Spec.Optimizer.Lr, ["steps"] = r.Spec.Steps,
        });
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
        var missing = specs.Where(s => !TryLoad(s, out _)).ToList();
        foreach (var group in missing.GroupBy(s => (s.Problem, s.Steps, s.LogEvery, s.Observe, Batchable: s.Observe == null && !s.Optimizer.Descriptor.PerClassPasses)))
        {
            if (!group.Key.Batchable || group.Count() == 1) { foreach (var s in group) GetOrRun(s); continue; }
            var (problem, model) = Environment.Problems.Get(group.Key.Problem);
            // a run in a batch holds W, G (wide and its own copies) and its logits: 8·(4·d·c + n·c) bytes; batches stay under 4 GB
            long perRun = 8L * (4L * model.D * model.C + (long)model.N * model.C);
            int maxRuns = (int)Math.Clamp((4L << 30) / perRun, 1, 64);
            foreach (var list in group.Chunk(maxRuns))
            {
                var results = RunTraining.Train(Environment, problem, model, list.Select(s => s.Optimizer).ToList(), new TrainingSchedule(group.Key.Steps, group.Key.LogEvery));
                for (int i = 0; i < list.Length; i++)
                {
                    Store(new RunRecord(list[i], results[i].Rows, results[i].Diverged, results[i].WallSeconds));
                    Trained++;
                }
            }
        }
    }

    /// <summary>The cached run, or one trained now by <paramref name="train"/> (and stored).</summary>
    public RunRecord GetOrRun(IRunSpec spec, Func<RunRecord> train)
    {
        if (TryLoad(spec, out var hit)) return hit;
        var rec = train();
        Store(rec);
        Trained++;
        return rec;
    }

    /// <summary>The cached run, or a new one trained now (and stored), with its observer table when the spec asks for one.</summary>
    public RunRecord GetOrRun(RunSpec spec)
    {
        CheckPrecision(spec);
        if (TryLoad(spec, out var hit)) return hit;
        var (problem, model) = Environment.Problems.Get(spec.Problem);
        var observer = spec.Observe is { } name ? RunObservers.Create(name, model, 1) : null;
        var result = RunTraining.Train(Environment, problem, model, [spec.Optimizer], new TrainingSchedule(spec.Steps, spec.LogEvery),
            observer != null ? [observer] : null)[0];
        var tables = new Dictionary<string, (string[], IReadOnlyList<double[]>)>();
        if (observer != null) tables[observer.Name] = ([.. observer.Header], observer.Rows(0));
        var rec = new RunRecord(spec, result.Rows, result.Diverged, result.WallSeconds) { Tables = tables };
        Store(rec);
        Trained++;
        return rec;
    }
}
