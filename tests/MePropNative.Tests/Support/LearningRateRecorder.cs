using MePropNative.Optimizers;
using MePropNative.Training;

namespace MePropNative.Tests.Support;

/// <summary>Records the optimizer's learning-rate scale after every training step (the scale that step used), for the
/// lr_decay schedule: set <see cref="Optimizer"/> once the trainer exists.</summary>
internal sealed class LearningRateRecorder : ITrainingObserver
{
    public IOptimizer? Optimizer { get; set; }
    public List<float> Scales { get; } = [];
    public int StepsPerEpoch { get; private set; }

    public void OnStart(string description, int firstEpoch, int epochs, int stepsPerEpoch) => StepsPerEpoch = stepsPerEpoch;
    public void OnStep(int epoch, int step, int stepsPerEpoch) => Scales.Add(Optimizer!.LearningRateScale);

    /// <summary>lr_decay per epoch, continuously: step t (counted over the whole run from 0) uses decay^(t / steps per epoch).</summary>
    public void AssertContinuousPerEpochDecay(float decay, int epochs)
    {
        Assert.True(StepsPerEpoch > 1, "the schedule needs several steps per epoch to tell per-step and per-epoch decay apart");
        Assert.Equal(epochs * StepsPerEpoch, Scales.Count);
        for (int t = 0; t < Scales.Count; t++)
            Assert.True(Math.Abs(Math.Pow(decay, (double)t / StepsPerEpoch) - Scales[t]) < 1e-6,
                $"step {t} (epoch {t / StepsPerEpoch}, {StepsPerEpoch} steps per epoch) used the scale {Scales[t]}, want {decay}^({t}/{StepsPerEpoch}) = {Math.Pow(decay, (double)t / StepsPerEpoch)}");
    }
}
