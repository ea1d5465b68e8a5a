namespace MePropNative.Training;

/// <summary>Hears about a run's progress (the CLI draws a progress bar from it). Calls come from the training thread.</summary>
public interface ITrainingObserver
{
    void OnStart(string description, int firstEpoch, int epochs, int stepsPerEpoch) { }
    void OnStep(int epoch, int step, int stepsPerEpoch) { }
    void OnEvaluation(EvaluationRecord evaluation) { }
    void OnEpoch(EpochRecord epoch) { }
    void OnMessage(string message) { }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class SilentObserver : ITrainingObserver
{
    public static readonly SilentObserver Instance = new();
}
