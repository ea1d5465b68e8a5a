using System.Diagnostics;

namespace MePropNative.Layers;

/// <summary>
/// Wall time inside linear-layer backward passes (the part meProp sparsifies), shared by the linear layers of one
/// model and read by the trainer. On a device backend <see cref="Synchronize"/> makes the stamps include the work.
/// </summary>
public sealed class LayerTimings
{
    public long LinearBackwardTicks;
    public bool Synchronize;

    public double LinearBackwardSeconds => (double)LinearBackwardTicks / Stopwatch.Frequency;

    public void Reset() => LinearBackwardTicks = 0;
}
