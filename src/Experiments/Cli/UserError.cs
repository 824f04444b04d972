namespace HeavyTail.Experiments.Cli;

/// <summary>A mistake in the user's input: printed as one line (what is wrong and how to fix it), exit code 2.</summary>
public sealed class UserError(string message) : Exception(message);
