using MePropNative.Data;

namespace MePropNative.Experiments;

/// <summary>The MNIST training images the backward benchmarks draw their batches from, and the one check of whether a
/// benchmark can use them: the benchmarks measure networks on 28 x 28 images, and the MLP's takes its batches as runs
/// of consecutive images, so it needs at least a batch. <see cref="Load"/> applies the check to the files (naming them),
/// the benchmarks to the images they are given.</summary>
public static class BenchmarkImages
{
    public const int Pixels = 28 * 28;

    /// <summary>The training images of <paramref name="dataDir"/>, or null (random images) when it has none; an
    /// <see cref="IdxFormatException"/> naming the file when a benchmark needing <paramref name="minimumCount"/> images
    /// cannot use them (<see cref="Problem"/>).</summary>
    public static LabeledImages? Load(string dataDir, int minimumCount)
    {
        var files = MnistFiles.InDirectory(dataDir);
        if (!File.Exists(files.TrainImages) || !File.Exists(files.TrainLabels)) return null;
        var images = LabeledImages.FromIdx(files.TrainImages, files.TrainLabels);
        if (Problem(images, minimumCount) is { } problem) throw new IdxFormatException($"{files.TrainImages}: {problem}");
        return images;
    }

    /// <summary>Why a benchmark cannot use <paramref name="images"/>, or null: they are not 28 x 28, there are none, or
    /// fewer than <paramref name="minimumCount"/> (the batch size of a benchmark taking consecutive images, 1 for one
    /// that draws single images).</summary>
    public static string? Problem(LabeledImages images, int minimumCount) =>
        images.FeatureCount != Pixels ? $"the images have {images.FeatureCount} pixels, the benchmarked networks take 28 x 28 = {Pixels}."
        : images.Count == 0 ? "there are no images."
        : images.Count < minimumCount ? $"{images.Count} images are fewer than the batch size {minimumCount}."
        : null;
}
