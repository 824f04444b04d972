// The CLI selects the linear-algebra backend process-wide (--backend); tests that run it in-process must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
