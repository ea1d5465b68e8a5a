namespace MePropNative.Layers;

/// <summary>
/// What a forward pass needs to know about where it is in training: whether it trains (dropout on, activations kept
/// for backward), the global step (seeds the per-step random draws: dropout masks, random-k), and the index of the
/// batch's first example in the run's example stream (per-example random-k draws). Random draws are pure functions of
/// these numbers and the run seed, so a resumed run draws exactly what an uninterrupted one would.
/// </summary>
public readonly record struct StepContext(bool Training, long Step, long FirstExample)
{
    public static StepContext Inference => new(false, 0, 0);
    public static StepContext TrainingStep(long step, long firstExample) => new(true, step, firstExample);
}
