namespace HeavyTail.Experiments.Runs;

/// <summary>A mistake in the user's input: printed as one line (what is wrong and how to fix it), exit code 2.</summary>
public sealed class UserError(string message) : Exception(message)
{
    /// <summary>The exception's message on one line, without .NET's " (Parameter 'x')" suffix.</summary>
    public static string OneLine(Exception e)
    {
        string m = e is ArgumentException ae && ae.ParamName != null
            ? ae.Message.Replace($" (Parameter '{ae.ParamName}')", "")
            : e.Message;
        return m.ReplaceLineEndings(" ").Trim();
    }
}
