using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>
/// The training images on a backend, served as mini-batches in a shuffled order: Fisher-Yates with counter-based
/// draws, so the order of epoch e depends only on (seed, e) and a resumed run sees the batches it would have seen. The
/// batch tensors are reused, so a step allocates nothing.
/// </summary>
internal sealed class ImageBatches
{
    private readonly IBackend backend;
    private readonly LabeledImages set;
    private readonly Tensor features;
    private readonly ulong seed;
    private readonly int[] order;
    private readonly int[] labelScratch;
    private readonly TensorCache batchX;
    private readonly IndexTensorCache batchIndices, batchLabels;

    public ImageBatches(IBackend backend, LabeledImages set, ulong seed, int batchSize)
    {
        this.backend = backend;
        this.set = set;
        this.seed = seed;
        features = backend.UploadFeatures(set);
        order = new int[set.Count];
        labelScratch = new int[batchSize];
        batchX = new TensorCache(backend);
        batchIndices = new IndexTensorCache(backend);
        batchLabels = new IndexTensorCache(backend);
    }

    public void Shuffle(int epoch)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        ulong epochSeed = CounterRandom.Derive(seed, 400, (ulong)epoch);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(CounterRandom.Hash(epochSeed, 0, (ulong)i) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>Images order[start .. start + count) of the current epoch and their labels (count at most the batch size).</summary>
    public (Tensor X, IndexTensor Labels) Batch(int start, int count)
    {
        var idx = batchIndices.Get(1, count);
        backend.Upload(order.AsSpan(start, count), idx);
        var x = batchX.Get(count, set.FeatureCount);
        backend.GatherRows(features, idx, x);
        var labels = batchLabels.Get(count, 1);
        var y = labelScratch.AsSpan(0, count);
        for (int i = 0; i < count; i++) y[i] = set.Labels[order[start + i]];
        backend.Upload(y, labels);
        return (x, labels);
    }
}
