using System.Diagnostics;
using MePropNative.Training;
using Spectre.Console;

namespace MePropNative.Cli;

/// <summary>Shows a run's progress: a Spectre.Console progress bar on a terminal, one line per evaluation otherwise.</summary>
internal sealed class ProgressReporter : ITrainingObserver
{
    private readonly string label;
    private ProgressTask? task;
    private int firstEpoch, epochs, steps;
    private readonly Stopwatch clock = Stopwatch.StartNew();

    private ProgressReporter(string label) => this.label = label;

    public static RunResult Run(string label, bool noProgress, Func<ITrainingObserver, RunResult> train)
    {
        var reporter = new ProgressReporter(label);
        if (noProgress || !AnsiConsole.Profile.Capabilities.Interactive) return train(reporter);
        RunResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                reporter.task = ctx.AddTask(Markup.Escape(label), autoStart: true, maxValue: 1);
                result = train(reporter);
                reporter.task.Value = reporter.task.MaxValue;
            });
        return result!;
    }

    public void OnStart(string description, int firstEpoch, int epochs, int stepsPerEpoch)
    {
        this.firstEpoch = firstEpoch;
        this.epochs = epochs;
        steps = stepsPerEpoch;
        Line($"{label}: {description}; epochs {firstEpoch + 1}..{epochs}, {stepsPerEpoch} steps each");
        if (task is not null) task.MaxValue = Math.Max(1, (long)(epochs - firstEpoch) * stepsPerEpoch);
    }

    public void OnStep(int epoch, int step, int stepsPerEpoch)
    {
        if (task is null) return;
        task.Value = (long)(epoch - firstEpoch) * stepsPerEpoch + step;
        if (step == 1 || step % 50 == 0) task.Description = Markup.Escape($"{label} epoch {epoch + 1}/{epochs}");
    }

    public void OnEvaluation(EvaluationRecord e) =>
        Line($"  epoch {e.Epoch} eval {e.Point}: dev {e.DevAccuracy:F2}%  test {e.TestAccuracy:F2}%  (sizes {string.Join("-", e.LayerSizes)})");

    public void OnEpoch(EpochRecord e) =>
        Line($"  epoch {e.Epoch}: train loss {e.TrainLoss:F4}, fwd {e.ForwardSeconds:F2}s bwd {e.BackwardSeconds:F2}s (linear {e.LinearBackwardSeconds:F2}s) " +
             $"upd {e.UpdateSeconds:F2}s, wall {e.TrainWallSeconds:F2}s, GEMM {100 * e.GemmSeconds / Math.Max(e.TrainWallSeconds, 1e-9):F0}%, ratio {e.BackpropRatio:F3} [{clock.Elapsed:mm\\:ss}]");

    public void OnMessage(string message) => Line($"  {message}");

    private static void Line(string text)
    {
        if (AnsiConsole.Profile.Capabilities.Interactive) AnsiConsole.MarkupLine(Markup.Escape(text));
        else Console.WriteLine(text);
    }
}
