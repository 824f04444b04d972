using System.Globalization;
using System.Text.RegularExpressions;

namespace HeavyTail.Experiments.Runs;

/// <summary>
/// The one number grammar of the command line and of the files the CLI reads: ASCII digits, an optional sign, a decimal
/// point (never a comma), an optional exponent, no group separators, read with the invariant culture whatever the
/// environment's locale (LANG, LC_ALL, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=0). nan, inf and -inf are numbers too (the
/// CSV files write them); the checks of each option then refuse them where they make no sense.
/// </summary>
public static partial class Numbers
{
    [GeneratedRegex(@"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex RealGrammar();

    [GeneratedRegex(@"^[+-]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerGrammar();

    private const NumberStyles RealStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    /// <summary>Parses a real number in the strict, culture-free grammar (sign, digits, one decimal point, exponent; nan, inf, -inf); false for anything else ('0,1', '1,000').</summary>
    public static bool TryParseDouble(string? text, out double value)
    {
        value = 0;
        if (text == null) return false;
        string t = text.Trim();
        switch (t)
        {
            case "nan" or "NaN": value = double.NaN; return true;
            case "inf" or "+inf" or "Infinity": value = double.PositiveInfinity; return true;
            case "-inf" or "-Infinity": value = double.NegativeInfinity; return true;
        }
        return RealGrammar().IsMatch(t) && double.TryParse(t, RealStyle, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Parses an integer in the strict, culture-free grammar (optional sign, digits only) into a long; false for anything else or out of range.</summary>
    public static bool TryParseLong(string? text, out long value)
    {
        value = 0;
        if (text == null) return false;
        string t = text.Trim();
        return IntegerGrammar().IsMatch(t) && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Parses an integer in the strict, culture-free grammar (optional sign, digits only) into an int; false for anything else or out of range.</summary>
    public static bool TryParseInt(string? text, out int value)
    {
        value = 0;
        return TryParseLong(text, out long v) && v is >= int.MinValue and <= int.MaxValue && (value = (int)v) == v;
    }

    /// <summary>Why <paramref name="text"/> is not a number for <paramref name="option"/>, and how to write it (one line).</summary>
    public static string NotANumber(string option, string text, bool integer)
    {
        string t = text.Trim();
        bool comma = t.Contains(',');
        if (integer)
        {
            if (TryParseDouble(t, out double d) && double.IsFinite(d))
                return $"{option} '{text}' is not a whole number; write digits only (e.g. {Math.Max(1, Math.Round(Math.Abs(d))).ToString(CultureInfo.InvariantCulture)}).";
            return $"{option} '{text}' is not a whole number; write digits only, without separators{(comma ? " (',' is not accepted)" : "")} (e.g. 1000).";
        }
        if (comma && t.Count(ch => ch == ',') == 1 && TryParseDouble(t.Replace(',', '.'), out _))
        {
            bool maybeThousands = t.Length - t.IndexOf(',') - 1 == 3 && TryParseLong(t.Replace(",", ""), out _);
            return $"{option} '{text}' is not a number: ',' is neither a decimal nor a group separator here; write {t.Replace(',', '.')}"
                + (maybeThousands ? $" (or {t.Replace(",", "")} for a whole number)." : ".");
        }
        return $"{option} '{text}' is not a number; write it with a decimal point '.' and no group separators (e.g. 0.1 or 1e-3).";
    }
}
