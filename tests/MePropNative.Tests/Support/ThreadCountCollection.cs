namespace MePropNative.Tests.Support;

/// <summary>Tests that change the process-wide thread counts (libmeprop's, the managed kernels') run in this collection,
/// alone: no other test runs while they switch between 1 and 2 threads.</summary>
[CollectionDefinition(nameof(ThreadCountCollection), DisableParallelization = true)]
public sealed class ThreadCountCollection;
