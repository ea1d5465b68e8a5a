namespace MePropNative.Data;

/// <summary>Train, dev and test sets of a run.</summary>
public sealed record DatasetSplits(LabeledImages Train, LabeledImages Dev, LabeledImages Test)
{
    /// <summary>
    /// The meProp paper's protocol: the first <paramref name="devSize"/> examples of the training file are the dev set,
    /// the rest train. <paramref name="trainLimit"/> > 0 keeps only that many training examples (quick runs).
    /// </summary>
    public static DatasetSplits FromTrainAndTest(LabeledImages trainFile, LabeledImages test, int devSize, int trainLimit = 0)
    {
        if (devSize < 0 || devSize >= trainFile.Count)
            throw new ArgumentOutOfRangeException(nameof(devSize), devSize, $"dev_size must be in [0, {trainFile.Count}) for a training file of {trainFile.Count} examples.");
        var dev = trainFile.Slice(0, devSize);
        int trainCount = trainFile.Count - devSize;
        if (trainLimit > 0) trainCount = Math.Min(trainCount, trainLimit);
        var train = trainFile.Slice(devSize, trainCount);
        if (test.FeatureCount != trainFile.FeatureCount)
            throw new IdxFormatException($"the test images have {test.FeatureCount} features per item, the training images {trainFile.FeatureCount}.");
        return new DatasetSplits(train, dev, test);
    }
}
