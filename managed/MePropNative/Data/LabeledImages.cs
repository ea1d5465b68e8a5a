namespace MePropNative.Data;

/// <summary>Examples as rows of features (pixels scaled to [0, 1]) with integer labels, in host memory.</summary>
public sealed class LabeledImages
{
    public LabeledImages(float[] features, int[] labels, int featureCount, int classes)
    {
        if (features.Length != (long)labels.Length * featureCount)
            throw new ArgumentException($"{features.Length} feature values for {labels.Length} examples of {featureCount}.");
        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
        Classes = classes;
    }

    public float[] Features { get; }
    public int[] Labels { get; }
    public int FeatureCount { get; }
    public int Classes { get; }
    public int Count => Labels.Length;

    /// <summary>Examples [start, start + count) as a new set (copies).</summary>
    public LabeledImages Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count) throw new ArgumentOutOfRangeException(nameof(start));
        return new LabeledImages(Features.AsSpan(start * FeatureCount, count * FeatureCount).ToArray(),
            Labels.AsSpan(start, count).ToArray(), FeatureCount, Classes);
    }

    /// <summary>Reads an image file (rank 3) and a label file (rank 1) and checks that they match and hold at least one
    /// image of at least one pixel.</summary>
    public static LabeledImages FromIdx(string imagesPath, string labelsPath, int classes = 10)
    {
        var (x, features, count) = ReadImages(imagesPath);
        var labels = IdxReader.Read(labelsPath, expectedRank: 1);
        if (count != labels.Count)
            throw new IdxFormatException($"image/label count mismatch: {imagesPath} has {count} images but " +
                $"{labelsPath} has {labels.Count} labels.");
        var y = new int[labels.Count];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = labels.Data[i];
            if (y[i] >= classes)
                throw new IdxFormatException($"{labelsPath}: label {y[i]} of example {i} is outside [0, {classes}).");
        }
        return new LabeledImages(x, y, features, classes);
    }

    /// <summary>Reads an image file (rank 3) holding at least one image of at least one pixel: the pixels scaled to
    /// [0, 1], one row of <c>Features</c> values per image.</summary>
    public static (float[] Pixels, int Features, int Count) ReadImages(string imagesPath)
    {
        var images = IdxReader.Read(imagesPath, expectedRank: 3);
        if (images.Count == 0) throw new IdxFormatException($"{imagesPath} holds no images.");
        if (images.ItemSize == 0)
            throw new IdxFormatException($"{imagesPath}: the images are {images.Dimensions[1]} x {images.Dimensions[2]} pixels; an image needs at least one.");
        var x = new float[images.Data.Length];
        for (int i = 0; i < x.Length; i++) x[i] = images.Data[i] / 255f;
        return (x, images.ItemSize, images.Count);
    }
}
