using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using HeavyTail.Analytic.Data;
using HeavyTail.Analytic.LinearAlgebra;
using HeavyTail.Experiments.Runs;
using HeavyTail.Ode.Optimizers;
using HeavyTail.Tests.Shared;

namespace HeavyTail.Experiments.Tests;

/// <summary>Fault class 3: every cache entry is validated fully; an invalid one is noted in one line and trained again, never a crash.</summary>
public class CacheValidationTests
{
    private static readonly ProblemOptions Tiny = new() { Name = "ht-random", M = 3 };

    /// <summary>A cache holding one trained run; returns it with the run's spec, the entry's paths and the record.</summary>
    private static (RunSpec Spec, string Json, string Csv, RunRecord Record, string Dir) Entry(string? observe = null)
    {
        string dir = Path.Combine(CliHarness.TempDir(), "_cache");
        var env = new RunEnvironment(ComputeContext.Managed());
        var spec = env.Spec(Tiny, new OptimizerSettings("gd", 0.5), 12, 3, observe);
        var cache = new RunCache(dir, env);
        var rec = cache.GetOrRun(spec);
        return (spec, Path.Combine(dir, spec.Key() + ".json"), Path.Combine(dir, spec.Key() + ".csv"), rec, dir);
    }

    /// <summary>Loads the entry again through a fresh cache; returns the record, how many runs it trained and its notes.</summary>
    private static (RunRecord Record, int Trained, List<string> Notes) Reload(RunSpec spec, string dir)
    {
        var notes = new List<string>();
        var cache = new RunCache(dir, new RunEnvironment(ComputeContext.Managed(), log: notes.Add));
        var rec = cache.GetOrRun(spec);
        return (rec, cache.Trained, notes);
    }

    private static void SameRun(RunRecord a, RunRecord b)
    {
        Assert.Equal(a.Diverged, b.Diverged);
        Assert.Equal(a.Rows.Select(r => (r.Step, r.Loss)), b.Rows.Select(r => (r.Step, r.Loss)));
    }

    [Fact]
    public void A_valid_entry_is_read_back_without_training()
    {
        var (spec, _, _, rec, dir) = Entry();
        var (again, trained, notes) = Reload(spec, dir);
        Assert.Equal(0, trained); Assert.Empty(notes);
        SameRun(rec, again);
    }

    public static TheoryData<string, string> JsonEdits() => new()
    {
        { "wall_seconds", "\"abc\"" }, { "canonical", "42" }, { "status", "\"diverged\"" }, { "status", "\"done\"" },
        { "status", "null" }, { "final_loss", "0.001" }, { "final_loss", "\"0.1\"" }, { "steps", "13" }, { "steps", "[12]" },
        { "csv_sha256", "\"00\"" }, { "entry_sha256", "{}" }, { "tables_sha256", "3" }, { "wall_seconds", "-1" },
    };

    [Theory]
    [MemberData(nameof(JsonEdits))]
    public void A_json_field_of_the_wrong_type_or_value_is_retrained_with_a_note(string field, string value)
    {
        var (spec, json, _, rec, dir) = Entry();
        var node = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        node[field] = JsonNode.Parse(value);
        File.WriteAllText(json, node.ToJsonString());
        var (again, trained, notes) = Reload(spec, dir);
        Assert.Equal(1, trained);
        Assert.Single(notes);
        Assert.Matches(@"^note: cache entry .* is invalid \(.+\); training it again\.$", notes[0]);
        SameRun(rec, again);
        Assert.Equal(0, Reload(spec, dir).Trained); // the retrained entry is valid
    }

    [Theory]
    [InlineData("[1,2,3]")] [InlineData("42")] [InlineData("null")] [InlineData("\"x\"")] [InlineData("{}")] [InlineData("")] [InlineData("{\"canonical\":")]
    public void A_json_file_replaced_by_something_else_is_retrained(string content)
    {
        var (spec, json, _, rec, dir) = Entry();
        File.WriteAllText(json, content);
        var (again, trained, notes) = Reload(spec, dir);
        Assert.Equal(1, trained); Assert.Single(notes);
        SameRun(rec, again);
    }

    [Theory]
    [InlineData("final")] [InlineData("nan")] [InlineData("inf")] [InlineData("middle")] [InlineData("step")] [InlineData("truncate")]
    public void An_edited_csv_is_caught_by_its_checksum(string edit)
    {
        var (spec, _, csv, rec, dir) = Entry();
        var lines = File.ReadAllLines(csv).ToList();
        var last = lines[^1].Split(',');
        switch (edit)
        {
            case "final": last[1] = "0.5"; lines[^1] = string.Join(',', last); break;
            case "nan": last[1] = "nan"; lines[^1] = string.Join(',', last); break;
            case "inf": last[2] = "inf"; lines[^1] = string.Join(',', last); break;
            case "middle": var mid = lines[2].Split(','); mid[1] = "1e-3"; lines[2] = string.Join(',', mid); break;
            case "step": last[0] = "11"; lines[^1] = string.Join(',', last); break;
            default: lines.RemoveAt(lines.Count - 1); break;
        }
        File.WriteAllLines(csv, lines);
        var (again, trained, notes) = Reload(spec, dir);
        Assert.Equal(1, trained);
        Assert.Contains("does not match its checksum", Assert.Single(notes));
        SameRun(rec, again);
    }

    [Fact]
    public void An_edited_observer_table_is_retrained()
    {
        var (spec, json, _, rec, dir) = Entry(PerClassStatisticsObserverName);
        string table = Path.Combine(dir, $"{spec.Key()}.{PerClassStatisticsObserverName}.csv");
        File.AppendAllText(table, "99" + new string(',', File.ReadAllLines(table)[0].Count(ch => ch == ',')).Replace(",", ",1") + "\n");
        var (again, trained, notes) = Reload(spec, dir);
        Assert.Equal(1, trained);
        Assert.Contains("table", Assert.Single(notes));
        SameRun(rec, again);
    }

    private const string PerClassStatisticsObserverName = HeavyTail.Ode.Training.PerClassStatisticsObserver.TableName;

    [Theory]
    [InlineData(".json")] [InlineData(".csv")]
    public void An_entry_path_that_is_a_folder_is_one_user_error_not_a_crash(string which)
    {
        var (spec, json, csv, _, dir) = Entry();
        string path = which == ".json" ? json : csv;
        File.Delete(path);
        Directory.CreateDirectory(path);
        var cache = new RunCache(dir, new RunEnvironment(ComputeContext.Managed()));
        Assert.Null(cache.Load(spec, out var invalid));
        Assert.Contains("is a folder", invalid);
        var e = Assert.Throws<UserError>(() => cache.GetOrRun(spec));
        Assert.Contains("is a folder; remove it and rerun", e.Message);
    }

    [Fact]
    public void Grid_retrains_a_poisoned_entry_and_selects_the_same_step_size()
    {
        string dir = CliHarness.TempDir();
        string[] args = ["grid", "--problem", "ht-random", "--m", "3", "--optimizer", "gd", "--steps", "10", "--lrs", "0.1,1,10", "--out", dir];
        Assert.Equal(0, CliHarness.Run(args).Code);
        string best = File.ReadAllText(Path.Combine(dir, "best.json"));
        var jsons = Directory.GetFiles(Path.Combine(dir, "_cache"), "*.json").OrderBy(f => f).ToArray();
        File.WriteAllText(jsons[0], "[1,2,3]");
        var node = JsonNode.Parse(File.ReadAllText(jsons[1]))!.AsObject();
        node["wall_seconds"] = "abc";
        File.WriteAllText(jsons[1], node.ToJsonString());
        var csvs = Directory.GetFiles(Path.Combine(dir, "_cache"), "*.csv").OrderBy(f => f).ToArray();
        var lines = File.ReadAllLines(csvs[2]); var last = lines[^1].Split(','); last[1] = "1e-9"; lines[^1] = string.Join(',', last);
        File.WriteAllLines(csvs[2], lines);
        var r = CliHarness.Run(args);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(3, r.Err.Split('\n').Count(l => l.StartsWith("note: cache entry")));
        Assert.Equal(best, File.ReadAllText(Path.Combine(dir, "best.json")));
    }

    /// <summary>A random edit of a cache entry: which file, where, and what is written there.</summary>
    public sealed record CacheEdit(bool Json, int Kind, int Position, int Value)
    {
        public void Apply(string json, string csv)
        {
            string path = Json ? json : csv;
            var text = File.ReadAllText(path);
            int pos = Position % Math.Max(1, text.Length);
            const string chars = "0123456789.,-e\"{}[]:nainf \n";
            text = Kind switch
            {
                0 => text.Remove(pos, 1).Insert(pos, chars[Value % chars.Length].ToString()),   // overwrite a character
                1 => text.Insert(pos, chars[Value % chars.Length].ToString()),                  // insert one
                2 => text.Remove(pos, Math.Min(1 + Value % 5, text.Length - pos)),            // delete a few
                3 => text[..pos],                                                               // truncate
                _ => text + chars[Value % chars.Length],                                        // append
            };
            File.WriteAllText(path, text);
        }
    }

    public static class CacheEditArbitraries
    {
        public static Arbitrary<CacheEdit> Edits() => Arb.From(
            from json in Gen.Elements(true, false)
            from kind in Gen.Choose(0, 4)
            from pos in Gen.Choose(0, 10_000)
            from value in Gen.Choose(0, 1000)
            select new CacheEdit(json, kind, pos, value));
    }

    [Trait(SeededPropertyAttribute.Trait, SeededPropertyAttribute.TraitValue)]
    [SeededProperty(Arbitrary = [typeof(CacheEditArbitraries)], MaxTest = 60, Pinned = "(47,53)")]
    public bool A_randomly_edited_entry_gives_the_same_run_or_is_retrained(CacheEdit edit)
    {
        var (spec, json, csv, rec, dir) = Entry();
        string beforeCsv = File.ReadAllText(csv);
        edit.Apply(json, csv);
        bool csvEdited = File.ReadAllText(csv) != beforeCsv;
        var (again, trained, notes) = Reload(spec, dir);
        bool same = again.Diverged == rec.Diverged && again.Rows.Select(r => (r.Step, r.Loss)).SequenceEqual(rec.Rows.Select(r => (r.Step, r.Loss)));
        // a changed CSV is always retrained; a JSON edit is either harmless (whitespace, an unchecked field) or retrained
        return same && (!csvEdited || trained == 1) && notes.Count == trained && notes.All(n => !n.Contains('\n'));
    }
}
