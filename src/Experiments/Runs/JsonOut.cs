using System.Text.Json;
using System.Text.Json.Nodes;
using HeavyTail.Analytic.IO;

namespace HeavyTail.Experiments.Runs;

/// <summary>JSON output: full round-trip precision for doubles (shortest "R" form), NaN and ±∞ written as null.</summary>
public static class JsonOut
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>A JSON node for a value: numbers in round-trip form with NaN and ±∞ as null, strings, booleans, arrays, lists and dictionaries recursively.</summary>
    public static JsonNode? Value(object? v) => v switch
    {
        null => null,
        double d => double.IsFinite(d) ? JsonValue.Create(d) : null,
        float f => float.IsFinite(f) ? JsonValue.Create((double)f) : null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        JsonNode n => n,
        IDictionary<string, object?> dict => Object(dict),
        System.Collections.IDictionary dict => Object(dict.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => dict[k])),
        System.Collections.IEnumerable e => new JsonArray(e.Cast<object?>().Select(Value).ToArray()),
        _ => JsonValue.Create(v.ToString()),
    };

    /// <summary>A JSON object of the dictionary's entries (values as <see cref="Value"/>).</summary>
    public static JsonObject Object(IDictionary<string, object?> dict)
    {
        var o = new JsonObject();
        foreach (var kv in dict) o[kv.Key] = Value(kv.Value);
        return o;
    }

    /// <summary>The dictionary as indented JSON text.</summary>
    public static string Serialize(IDictionary<string, object?> dict) => Object(dict).ToJsonString(Options);

    /// <summary>Writes the dictionary as indented JSON (with a final newline) atomically.</summary>
    public static void Write(string path, IDictionary<string, object?> dict) => AtomicFile.WriteAllText(path, Serialize(dict) + "\n");

    /// <summary>A double as the shortest string that round-trips (for CSV).</summary>
    public static string Number(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
