namespace MePropNative.Experiments;

/// <summary>One step of a <see cref="TurnSchedule"/>: run <see cref="Step"/> of model <see cref="Model"/>, and time it
/// when <see cref="Measured"/>.</summary>
public readonly record struct ScheduledStep(int Model, int Step, bool Measured);

/// <summary>
/// The order in which an in-process speed comparison runs the steps of several models. Each model takes turns of
/// <c>turnLength</c> consecutive steps, and the turns of the models interleave (in reversed order every other turn), so
/// a change of machine load hits every model alike. Every turn starts with one unmeasured repeat of its first step,
/// which brings the model's weights and gradients back into the caches, where the previous step of a training loop
/// would have left them. Without it each model would be timed with the caches full of the other models' data (the MLP
/// benchmark's six models hold about 30 MB, the size of this machine's L3), which no training run sees; that
/// penalizes the sparse kernels, whose scattered row accesses wait on memory, far more than the dense GEMMs, which
/// stream and compute.
/// </summary>
public static class TurnSchedule
{
    /// <summary>Measured steps per turn in the repository's benchmarks.</summary>
    public const int DefaultTurnLength = 8;

    /// <summary>Steps 0 .. <paramref name="steps"/> - 1 of each of <paramref name="models"/> models, each measured once.</summary>
    public static IEnumerable<ScheduledStep> Create(int models, int steps, int turnLength = DefaultTurnLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(models);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ArgumentOutOfRangeException.ThrowIfLessThan(turnLength, 1);
        for (int first = 0, turn = 0; first < steps; first += turnLength, turn++)
        {
            int end = Math.Min(steps, first + turnLength);
            for (int j = 0; j < models; j++)
            {
                int model = turn % 2 == 0 ? j : models - 1 - j;
                yield return new ScheduledStep(model, first, Measured: false);
                for (int step = first; step < end; step++) yield return new ScheduledStep(model, step, Measured: true);
            }
        }
    }
}
