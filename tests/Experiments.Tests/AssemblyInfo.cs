// Tests run in parallel: nothing in src/ keeps a process-wide backend (each CLI call and test builds its own ComputeContext).
// TorchSharp's own state is process-wide (manual_seed, the finalizer fence, environment variables of the data sets), so the
// TorchSharp test classes share one collection and run one after another.
namespace HeavyTail.Experiments.Tests;

[CollectionDefinition(TorchCollection.Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "TorchSharp (process-wide native state)";
}
