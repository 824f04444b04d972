using System.CommandLine;

namespace HeavyTail.Experiments.Cli;

/// <summary>System.CommandLine's parse errors as the CLI's one line.</summary>
public static class ParseErrors
{
    /// <summary>
    /// A parse error as one line: a mistyped command, subcommand or option is named with the nearest known one
    /// ("unknown command 'trian' (did you mean 'train'?)"); any other error is System.CommandLine's message.
    /// </summary>
    public static string Line(RootCommand root, ParseResult parse, string[] args)
    {
        var command = parse.CommandResult.Command;
        string path = command == root ? "heavytail" : $"heavytail {string.Join(' ', CommandPath(parse.CommandResult))}";
        if (parse.UnmatchedTokens.Count > 0)
        {
            string token = parse.UnmatchedTokens[0];
            var options = command.Options.Concat(root.Options).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith('-'));
            if (token.StartsWith('-'))
                return $"unknown option '{token}' for `{path}`{Analytic.Spelling.DidYouMean(token, options)}; `{path} --help` lists them.";
            var subcommands = command.Subcommands.Select(c => c.Name).ToList();
            if (command == root)
                return $"unknown command '{token}'{Analytic.Spelling.DidYouMean(token, subcommands)}; `heavytail --help` lists them.";
            string near = Analytic.Spelling.DidYouMean(token, subcommands);
            return $"unexpected argument '{token}' for `{path}`{near}; `{path} --help` shows its usage.";
        }
        if (command == root && args.Length == 0 || command == root && parse.Errors.Any(e => e.Message.Contains("Required command")))
            return "no command given; `heavytail --help` lists them (e.g. `heavytail train --help`).";
        return $"{parse.Errors[0].Message.ReplaceLineEndings(" ")} (see `{path} --help`)";
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult r)
    {
        var names = new Stack<string>();
        for (System.CommandLine.Parsing.SymbolResult? s = r; s != null; s = s.Parent)
            if (s is System.CommandLine.Parsing.CommandResult { Command: not RootCommand } cr) names.Push(cr.Command.Name);
        return names;
    }
}
