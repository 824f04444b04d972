using System.Net;
using System.Text;
using HeavyTail.Analytic.IO;
using HeavyTail.Experiments.Recipes;

namespace HeavyTail.Experiments.Recipes.Report;

/// <summary>DIR/report.md and DIR/report.html (PNG figures embedded) with readings, checks (pass/fail), step sizes, times and machine.</summary>
public static class ReportWriter
{
    /// <summary>Writes DIR/report.md and DIR/report.html for the outcomes of one reproduce at <paramref name="scale"/>, with the total time and the recipes that were skipped (and why).</summary>
    public static void Write(string dir, IReadOnlyList<RecipeOutcome> outcomes, string scale, double totalSeconds, IReadOnlyList<string> skipped)
    {
        var md = new StringBuilder();
        md.AppendLine("# HeavyTail.Theory reproduction report").AppendLine();
        md.AppendLine($"Kunstner et al. 2024, *Heavy-Tailed Class Imbalance and Why Adam Outperforms Gradient Descent on Language Models* (arXiv 2402.19449): linear-model and theory figures at scale **{scale}**.").AppendLine();
        int pass = outcomes.Sum(o => o.Checks.Count(c => !c.Claim && c.Pass)), total = outcomes.Sum(o => o.Checks.Count(c => !c.Claim));
        int claims = outcomes.Sum(o => o.Checks.Count(c => c.Claim)), hold = outcomes.Sum(o => o.Checks.Count(c => c.Claim && c.Pass));
        string claimLine = claims == 0 ? "" : $" Claims from the literature measured: **{hold} of {claims} hold** (one that does not is a finding, reported, not a failure).";
        var fromCache = outcomes.Where(o => o.CachedReadSeconds != null).ToList();
        string cacheLine = fromCache.Count == 0 ? "" : $" ({fromCache.Count} of {outcomes.Count} recipes read their runs from the cache; computing them took {fromCache.Sum(o => o.WallSeconds):F1} s)";
        md.AppendLine($"Checks: **{pass} of {total} pass**.{claimLine} Wall time {totalSeconds:F1} s{cacheLine} on {Environment.ProcessorCount} cores ({Environment.MachineName}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}).").AppendLine();
        md.AppendLine("| check | recipe | predicted | measured | result |").AppendLine("|---|---|---|---|---|");
        foreach (var o in outcomes) foreach (var c in o.Checks)
            md.AppendLine($"| {Esc(c.Name)} | {o.Name} | {Esc(c.Predicted)} | {Esc(c.Measured)} | {(c.Failed ? "**FAIL**" : c.Claim && !c.Pass ? $"**{c.Verdict}**" : c.Verdict)} |");
        md.AppendLine();
        var lrs = outcomes.SelectMany(o => o.SelectedLr).GroupBy(kv => kv.Key).Select(g => g.First()).ToList();
        if (lrs.Count > 0)
        {
            var best = outcomes.SelectMany(o => o.BestLr).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.First().Value);
            var c = Runs.StabilityCriterion.Default;
            md.AppendLine("## Selected step sizes").AppendLine().AppendLine("Grid rule of Appendix A.4: powers of 10 in [1e-6, 1e1], then half-powers around the best; the worst final loss over seeds is minimised; a diverged run counts as its initial loss. " +
                $"Then the stability rule: the largest step size at or below that one whose runs on every seed are stable (the loss never exceeds {c.MaxLossFactor}× its initial value, and its total rise is at most {c.MaxRiseFraction:P0} of its total decrease); the figures use it.").AppendLine();
            md.AppendLine("| problem / optimizer | lowest final loss | selected (stable) |").AppendLine("|---|---|---|");
            foreach (var kv in lrs) md.AppendLine($"| {kv.Key} | {(best.TryGetValue(kv.Key, out var b) ? b.ToString("G3") : "–")} | {kv.Value:G3} |");
            md.AppendLine();
        }
        foreach (var o in outcomes)
        {
            md.AppendLine($"## {o.Name}").AppendLine().AppendLine(o.Description).AppendLine();
            if (o.Error != null) md.AppendLine($"**Failed:** {Esc(o.Error)}").AppendLine();
            if (o.Reading.Length > 0) md.AppendLine($"*Reading.* {o.Reading}").AppendLine();
            foreach (var n in o.Notes) md.AppendLine($"> Note: {n}").AppendLine();
            foreach (var f in o.Figures)
            {
                md.AppendLine($"![{Path.GetFileNameWithoutExtension(f)}]({f.Replace('\\', '/')})").AppendLine();
                if (o.Captions.TryGetValue(f, out var caption)) md.AppendLine($"*{Path.GetFileNameWithoutExtension(f)}:* {caption}").AppendLine();
            }
            md.AppendLine(o.CachedReadSeconds is { } read
                ? $"Wall time: {o.WallSeconds:F1} s (the run that computed it; this rerun read its runs from the cache in {read:F1} s)."
                : $"Wall time: {o.WallSeconds:F1} s.").AppendLine();
        }
        if (skipped.Count > 0)
        {
            md.AppendLine("## Skipped").AppendLine();
            foreach (var s in skipped) md.AppendLine($"- {s}");
            md.AppendLine();
        }
        AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), md.ToString());
        AtomicFile.WriteAllText(Path.Combine(dir, "report.html"), Html(dir, md.ToString()));
    }

    private static string Esc(string s) => s.Replace("|", "\\|");

    /// <summary>A minimal Markdown → HTML rendering of the report (headings, tables, images embedded as data URIs, paragraphs).</summary>
    private static string Html(string dir, string md)
    {
        var h = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>HeavyTail.Theory report</title>" +
            "<style>body{font-family:sans-serif;max-width:1250px;margin:auto;padding:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}img{max-width:100%}blockquote{color:#a60}</style></head><body>\n");
        bool inTable = false;
        foreach (var raw in md.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith('|'))
            {
                if (line.StartsWith("|---")) continue;
                var cells = line.Trim('|').Split(" | ").Select(c => Inline(c.Trim()));
                if (!inTable) { h.Append("<table>"); inTable = true; h.Append("<tr>").Append(string.Concat(cells.Select(c => $"<th>{c}</th>"))).Append("</tr>\n"); continue; }
                h.Append("<tr>").Append(string.Concat(cells.Select(c => $"<td>{c}</td>"))).Append("</tr>\n");
                continue;
            }
            if (inTable) { h.Append("</table>\n"); inTable = false; }
            if (line.StartsWith("## ")) h.Append($"<h2>{Inline(line[3..])}</h2>\n");
            else if (line.StartsWith("# ")) h.Append($"<h1>{Inline(line[2..])}</h1>\n");
            else if (line.StartsWith("![")) 
            {
                int a = line.IndexOf("](", StringComparison.Ordinal);
                string rel = line[(a + 2)..^1];
                string path = Path.Combine(dir, rel);
                string src = File.Exists(path) ? "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(path)) : WebUtility.HtmlEncode(rel);
                h.Append($"<p><img alt=\"{WebUtility.HtmlEncode(line[2..a])}\" src=\"{src}\"></p>\n");
            }
            else if (line.StartsWith("> ")) h.Append($"<blockquote>{Inline(line[2..])}</blockquote>\n");
            else if (line.StartsWith("- ")) h.Append($"<li>{Inline(line[2..])}</li>\n");
            else if (line.Length > 0) h.Append($"<p>{Inline(line)}</p>\n");
        }
        if (inTable) h.Append("</table>\n");
        return h.Append("</body></html>\n").ToString();
    }

    private static string Inline(string s)
    {
        var e = WebUtility.HtmlEncode(s.Replace("\\|", "|"));
        e = System.Text.RegularExpressions.Regex.Replace(e, @"\*\*(.+?)\*\*", "<b>$1</b>");
        return System.Text.RegularExpressions.Regex.Replace(e, @"\*(.+?)\*", "<i>$1</i>");
    }
}
