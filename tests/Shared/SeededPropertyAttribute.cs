using FsCheck.Xunit;

namespace HeavyTail.Tests.Shared;

/// <summary>
/// An FsCheck property with a pinned regression seed (<see cref="Pinned"/>, "(seed,gamma)"), run with that seed by default
/// and with a fresh random seed when the environment variable HEAVYTAIL_PROPERTY_SEEDS is "fresh" (test.sh runs the property
/// projects a second time that way). On a failure FsCheck's message gives the seed it ran with: add it as the new pin.
/// </summary>
public sealed class SeededPropertyAttribute : PropertyAttribute
{
    public const string Variable = "HEAVYTAIL_PROPERTY_SEEDS";

    /// <summary>The trait every seeded property carries, so the fresh-seed pass runs only them (filter seeds=property).</summary>
    public const string Trait = "seeds", TraitValue = "property";

    /// <summary>True in the fresh-seed pass.</summary>
    public static bool Fresh => Environment.GetEnvironmentVariable(Variable) == "fresh";

    /// <summary>The regression seed; ignored (a fresh seed is drawn) in the fresh-seed pass.</summary>
    public string? Pinned
    {
        get => _pinned;
        set { _pinned = value; Replay = Fresh ? null : value; }
    }

    private string? _pinned;
}
