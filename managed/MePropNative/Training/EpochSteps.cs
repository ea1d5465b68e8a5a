using System.Diagnostics;
using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Optimizers;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>What one trainer plugs into <see cref="EpochSteps.Run"/>.</summary>
/// <param name="Forward">Step s of the epoch: the forward pass up to the scores the loss reads, and their labels.</param>
/// <param name="Backward">The backward pass from the loss gradient.</param>
/// <param name="Parameters">What the optimizer updates after each backward pass.</param>
/// <param name="Evaluate">Evaluation point p of the epoch (and whatever the trainer does there, e.g. meSimp pruning).</param>
public sealed record StepFunctions(
    Func<int, StepContext, (Tensor Scores, IndexTensor Labels)> Forward,
    Action<Tensor> Backward,
    Func<IReadOnlyList<Parameter>> Parameters,
    Action<int> Evaluate);

/// <summary>
/// The step loop of one epoch, the same in every trainer: for each mini-batch, forward and loss, backward, optimizer
/// update (each timed), with the learning rate scaled by decay^(step / steps per epoch); evaluations at evenly spread
/// points, their time (and the GEMM time inside them) kept out of the training times. The trainers keep their own
/// progress counters (saved in checkpoints) and fill in the rest of the epoch's record.
/// </summary>
public sealed class EpochSteps(IBackend backend, IOptimizer optimizer, SoftmaxCrossEntropyLoss loss, ITrainingObserver observer)
{
    /// <summary>Runs the epoch's steps; step and examplesSeen count on across epochs. Returns the epoch's record with the
    /// training loss and accuracy and every time filled in.</summary>
    public EpochRecord Run(int epoch, int steps, int evalsPerEpoch, float learningRateDecay, StepFunctions functions,
        ref long step, ref long examplesSeen)
    {
        var evalPoints = EvaluationPoints(steps, evalsPerEpoch);
        backend.Counters.Reset();
        loss.ReadAndReset();
        long forwardTicks = 0, backwardTicks = 0, updateTicks = 0, evalTicks = 0, evalGemmTicks = 0;
        long epochStart = Stopwatch.GetTimestamp();
        for (int s = 0, point = 0; s < steps; s++)
        {
            var context = StepContext.TrainingStep(step, examplesSeen);
            if (learningRateDecay != 1f) optimizer.LearningRateScale = (float)Math.Pow(learningRateDecay, (double)step / steps);
            long t0 = Stopwatch.GetTimestamp();
            var (scores, labels) = functions.Forward(s, context);
            var gradient = loss.Forward(scores, labels, computeGradient: true)!;
            long t1 = Stopwatch.GetTimestamp();
            functions.Backward(gradient);
            long t2 = Stopwatch.GetTimestamp();
            optimizer.Step(functions.Parameters());
            long t3 = Stopwatch.GetTimestamp();
            forwardTicks += t1 - t0;
            backwardTicks += t2 - t1;
            updateTicks += t3 - t2;
            step++;
            examplesSeen += scores.Rows;
            observer.OnStep(epoch, s + 1, steps);
            if (point < evalPoints.Length && s == evalPoints[point])
            {
                long e0 = Stopwatch.GetTimestamp(), gemm0 = backend.Counters.GemmTicks;
                functions.Evaluate(point);
                evalTicks += Stopwatch.GetTimestamp() - e0;
                evalGemmTicks += backend.Counters.GemmTicks - gemm0;
                point++;
            }
        }
        long wallTicks = Stopwatch.GetTimestamp() - epochStart - evalTicks;
        var (trainLoss, trainAccuracy, _) = loss.ReadAndReset();
        return new EpochRecord
        {
            Epoch = epoch + 1,
            TrainLoss = trainLoss,
            TrainAccuracy = 100 * trainAccuracy,
            ForwardSeconds = Seconds(forwardTicks),
            BackwardSeconds = Seconds(backwardTicks),
            UpdateSeconds = Seconds(updateTicks),
            TrainWallSeconds = Seconds(wallTicks),
            GemmSeconds = Seconds(backend.Counters.GemmTicks - evalGemmTicks),
            SparseKernelSeconds = backend.Counters.SparseSeconds,
            EvalSeconds = Seconds(evalTicks),
        };
    }

    /// <summary>The steps after which to evaluate: evenly spread, the last one always at the epoch's end.</summary>
    public static int[] EvaluationPoints(int steps, int evals) =>
        Enumerable.Range(1, Math.Min(evals, steps)).Select(p => (int)Math.Round((double)p * steps / Math.Min(evals, steps)) - 1).Distinct().ToArray();

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
