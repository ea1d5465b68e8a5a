using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>
/// Decides what a linear layer's backward pass does with dy: the dense strategy propagates all of it, the meProp
/// strategies only k entries per row (or k columns for the whole batch). Each linear layer owns its own instance
/// (strategies keep per-layer work buffers and, for MSBP, memory), so a model never changes when the strategy does.
/// </summary>
public interface IMePropStrategy
{
    /// <summary>"dense", "topk(20)", ...</summary>
    string Name { get; }

    /// <summary>Accumulates dW (and db) and writes dx (when requested) for one backward pass.</summary>
    void Backward(in LinearGradientRequest request);

    /// <summary>Tensors carried from step to step (MSBP's memory); saved in checkpoints. Empty for stateless strategies.</summary>
    IReadOnlyList<Tensor> State { get; }

    /// <summary>Replaces the carried tensors by restored ones (same count and order as <see cref="State"/>).</summary>
    void RestoreState(IReadOnlyList<Tensor> state);

    /// <summary>Called when the layer's output units were pruned (meSimp): state shaped by the old width is dropped.</summary>
    void OnOutputsResized();
}
