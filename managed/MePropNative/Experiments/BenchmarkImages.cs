using MePropNative.Data;

namespace MePropNative.Experiments;

/// <summary>The MNIST training images the backward benchmarks draw their batches from, checked before any timing
/// starts: the benchmarks measure networks on 28 x 28 images, and the MLP's takes its batches as runs of consecutive
/// images, so the file must hold at least a batch.</summary>
public static class BenchmarkImages
{
    public const int Pixels = 28 * 28;

    /// <summary>The training images of <paramref name="dataDir"/>, or null (random images) when it has none; an
    /// <see cref="IdxFormatException"/> naming the file when they are not 28 x 28 or fewer than <paramref name="minimumCount"/>.</summary>
    public static LabeledImages? Load(string dataDir, int minimumCount)
    {
        var files = MnistFiles.InDirectory(dataDir);
        if (!File.Exists(files.TrainImages) || !File.Exists(files.TrainLabels)) return null;
        var images = LabeledImages.FromIdx(files.TrainImages, files.TrainLabels);
        if (images.FeatureCount != Pixels)
            throw new IdxFormatException($"{files.TrainImages}: the images have {images.FeatureCount} pixels, the benchmarked networks take 28 x 28 = {Pixels}.");
        if (images.Count < minimumCount)
            throw new IdxFormatException($"{files.TrainImages} holds {images.Count} images, fewer than the batch size {minimumCount}.");
        return images;
    }
}
