using System.CommandLine;
using System.CommandLine.Parsing;
using HeavyTail.Experiments.Runs;

namespace HeavyTail.Experiments.Cli;

/// <summary>
/// Gives every numeric option of the command tree the one strict, culture-free grammar of <see cref="Numbers"/> in place of
/// System.CommandLine's converter (which reads the current culture and accepts group separators: `--lr 0,1` was η = 1).
/// A value outside the grammar is a parse error of one line naming the option.
/// </summary>
public static class NumberOptions
{
    public static void Apply(Command command)
    {
        foreach (var option in command.Options)
            switch (option)
            {
                case Option<double> o: o.CustomParser = r => Parse<double, double>(r, o.DefaultValueFactory, Real); break;
                case Option<double?> o: o.CustomParser = r => Parse<double?, double>(r, o.DefaultValueFactory, Real); break;
                case Option<int> o: o.CustomParser = r => Parse(r, o.DefaultValueFactory, t => Numbers.TryParseInt(t, out int v) ? v : (int?)null); break;
                case Option<int?> o: o.CustomParser = r => Parse(r, o.DefaultValueFactory, t => Numbers.TryParseInt(t, out int v) ? v : (int?)null); break;
                case Option<long> o: o.CustomParser = r => Parse(r, o.DefaultValueFactory, t => Numbers.TryParseLong(t, out long v) ? v : (long?)null); break;
                case Option<long?> o: o.CustomParser = r => Parse(r, o.DefaultValueFactory, t => Numbers.TryParseLong(t, out long v) ? v : (long?)null); break;
                case Option<float> or Option<float?>: throw new InvalidOperationException($"{option.Name}: float options are not covered; use double.");
            }
        foreach (var sub in command.Subcommands) Apply(sub);
    }

    private static double? Real(string t) => Numbers.TryParseDouble(t, out double v) ? v : null;

    private static T Parse<T, TValue>(ArgumentResult r, Func<ArgumentResult, T>? defaultValue, Func<string, TValue?> parse) where TValue : struct
    {
        if (r.Tokens.Count == 0) return defaultValue != null ? defaultValue(r) : default!;
        string text = r.Tokens[^1].Value;
        if (parse(text) is TValue v) return (T)(object)v;
        string name = r.Parent is OptionResult o ? o.Option.Name : "value";
        r.AddError(Numbers.NotANumber(name, text, typeof(TValue) != typeof(double)));
        return default!;
    }
}
