using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.Layers;
using MePropNative.Models;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>
/// The data of an image-classifier trainer (the MLP's, the CNN's) on the backend: the training images as shuffled
/// mini-batches (step s of an epoch is batch s), and the dev and test sets, uploaded once and scored in evaluation
/// batches with inference-mode layers.
/// </summary>
internal sealed class ImageClassifierData
{
    private readonly DatasetSplits data;
    private readonly int batchSize, evalBatchSize;
    private readonly ImageBatches batches;
    private readonly SoftmaxCrossEntropyLoss evalLoss;
    private readonly Tensor devX, testX;
    private readonly IndexTensor devY, testY;

    public ImageClassifierData(IBackend backend, DatasetSplits data, ulong seed, int batchSize, int evalBatchSize)
    {
        this.data = data;
        this.batchSize = TrainingBatchRows(data, batchSize);
        this.evalBatchSize = evalBatchSize;
        batches = new ImageBatches(backend, data.Train, seed, this.batchSize);
        evalLoss = new SoftmaxCrossEntropyLoss(backend);
        devX = backend.UploadFeatures(data.Dev);
        testX = backend.UploadFeatures(data.Test);
        devY = backend.UploadLabels(data.Dev);
        testY = backend.UploadLabels(data.Test);
    }

    /// <summary>Refuses splits a run cannot use: no training or test examples, or no dev examples for a run that
    /// chooses its reported evaluation (or stops early) by the dev accuracy.</summary>
    public static void Require(DatasetSplits data, bool needsDev)
    {
        if (data.Train.Count == 0) throw new ConfigException("no training examples.");
        if (data.Test.Count == 0) throw new ConfigException("no test examples: the test set is empty.");
        if (needsDev && data.Dev.Count == 0)
            throw new ConfigException("no dev examples: the run chooses its reported evaluation (select_by = dev) or stops early (patience) by the dev accuracy; " +
                "give a dev set (dev_size >= 1) or select_by = last.");
    }

    /// <summary>Refuses a batch_size or eval_batch_size whose largest batch would outgrow one tensor in the model's
    /// widest per-example work tensor (<paramref name="widest"/>); before the model is made.</summary>
    public static void RequireBatchesFit(DatasetSplits data, int batchSize, int evalBatchSize, WidestRow widest)
    {
        long most = BatchSizeLimit.MostRows(widest);
        BatchSizeLimit.Check(
            BatchSizeLimit.Problem("batch_size", batchSize, evaluation: false, TrainingBatchRows(data, batchSize), "example", widest, most),
            BatchSizeLimit.Problem("eval_batch_size", evalBatchSize, evaluation: true, EvaluationBatchRows(data, evalBatchSize), "example", widest, most));
    }

    /// <summary>A batch larger than the training set is one batch of all of it.</summary>
    private static int TrainingBatchRows(DatasetSplits data, int batchSize) => Math.Min(batchSize, data.Train.Count);

    /// <summary>The dev and test sets are scored in batches of at most eval_batch_size examples.</summary>
    private static int EvaluationBatchRows(DatasetSplits data, int evalBatchSize) => Math.Min(evalBatchSize, Math.Max(data.Dev.Count, data.Test.Count));

    public int StepsPerEpoch => (data.Train.Count + batchSize - 1) / batchSize;

    public void Shuffle(int epoch) => batches.Shuffle(epoch);

    /// <summary>The model's logits for batch s of the current epoch, and the batch's labels.</summary>
    public (Tensor Scores, IndexTensor Labels) Forward(IClassifier model, int s, in StepContext context)
    {
        int start = s * batchSize;
        var (x, labels) = batches.Batch(start, Math.Min(batchSize, data.Train.Count - start));
        return (model.Forward(x, context), labels);
    }

    /// <summary>Scores the model on dev (when there is one) and test; accuracies in percent.</summary>
    public EvaluationRecord Evaluate(IClassifier model, int epoch, int point, long step, int[] layerSizes)
    {
        var (devLoss, devAccuracy) = data.Dev.Count > 0 ? Score(devX, devY, model) : (0, 0);
        var (_, testAccuracy) = Score(testX, testY, model);
        return new EvaluationRecord(epoch + 1, point + 1, step, 100 * devAccuracy, devLoss, 100 * testAccuracy, layerSizes);
    }

    /// <summary>The model's test accuracy in percent.</summary>
    public double TestAccuracy(IClassifier model) => 100 * Score(testX, testY, model).Accuracy;

    /// <summary>(mean loss, accuracy in [0, 1]) of a model on a data set held on the backend.</summary>
    private (double Loss, double Accuracy) Score(Tensor x, IndexTensor y, IClassifier model)
    {
        for (int s = 0; s < x.Rows; s += evalBatchSize)
        {
            int c = Math.Min(evalBatchSize, x.Rows - s);
            var logits = model.Forward(x.RowSlice(s, c), StepContext.Inference);
            evalLoss.Forward(logits, y.RowSlice(s, c), computeGradient: false);
        }
        var (loss, accuracy, _) = evalLoss.ReadAndReset();
        return (loss, accuracy);
    }
}
