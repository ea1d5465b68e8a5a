using MePropNative.Layers;

namespace MePropNative.Optimizers;

/// <summary>
/// Updates parameters from their gradients and leaves the gradients zero. Per-element state lives in
/// <see cref="Parameter.OptimizerState"/>; the optimizer itself keeps only scalars (<see cref="Steps"/>).
/// </summary>
public interface IOptimizer
{
    string Name { get; }
    OptimizerOptions Options { get; }

    /// <summary>Updates applied so far (Adam's t); saved in checkpoints.</summary>
    long Steps { get; set; }

    /// <summary>Multiplies the learning rate (the trainer's schedule sets it).</summary>
    float LearningRateScale { get; set; }

    void Step(IReadOnlyList<Parameter> parameters);

    /// <summary>Zeroes all state and the step count (meSimp resets it at each cycle start).</summary>
    void Reset(IReadOnlyList<Parameter> parameters);
}
