using HeavyTail.Ode.Training;

namespace HeavyTail.Experiments.Runs;

/// <summary>trajectory.csv: step, loss, group_g_loss … (one row per logged step).</summary>
public static class Trajectory
{
    /// <summary>step, loss, group_0_loss … group_{K−1}_loss.</summary>
    public static string[] Header(int groups) =>
        ["step", "loss", .. Enumerable.Range(0, groups).Select(g => $"group_{g}_loss")];

    /// <summary>One CSV row per training row: step, loss, the group losses.</summary>
    public static IEnumerable<IReadOnlyList<double>> Rows(IReadOnlyList<TrainingRow> rows) =>
        rows.Select(row => (IReadOnlyList<double>)[row.Step, row.Loss, .. row.GroupLosses]);

    /// <summary>Writes trajectory.csv atomically.</summary>
    public static void Write(string path, IReadOnlyList<TrainingRow> rows, int groups) => Csv.Write(path, Header(groups), Rows(rows));
}

/// <summary>run.json's description of a problem: its <see cref="Analytic.Data.Problem.Info"/> as a JSON object.</summary>
public static class RunJson
{
    /// <summary>The problem's info (name, sizes, generator settings) as a JSON-ready dictionary.</summary>
    public static Dictionary<string, object?> Of(Analytic.Data.Problem p) => p.Info.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);

    /// <summary>
    /// The problem a run folder's CSV belongs to, from the run.json beside it ("ht-random m=3 inputs=uniform seed=0 …": the
    /// fields run.json lists before "command", which are <see cref="Of"/>'s); null without a readable run.json.
    /// </summary>
    public static string? ProblemBeside(string csvPath)
    {
        string json = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(csvPath))!, "run.json");
        try
        {
            if (!File.Exists(json)) return null;
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
            if (doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object || !doc.RootElement.TryGetProperty("command", out _)) return null;
            var parts = doc.RootElement.EnumerateObject().TakeWhile(p => p.Name != "command")
                .Select(p => p.Name == "problem" ? p.Value.ToString() : $"{p.Name}={p.Value}");
            return string.Join(' ', parts);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException) { return null; }
    }
}
