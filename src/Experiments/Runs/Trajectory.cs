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
}
