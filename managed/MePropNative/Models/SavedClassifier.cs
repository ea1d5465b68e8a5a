using MePropNative.Backends;
using MePropNative.Layers;
using MePropNative.Training;

namespace MePropNative.Models;

/// <summary>A saved image classifier (the model.bin of `meprop train mlp` or `meprop train cnn`) loaded for inference,
/// and its predictions.</summary>
public static class SavedClassifier
{
    /// <summary>The MLP or CNN saved at <paramref name="path"/>, by the file's format tag.</summary>
    public static IClassifier Load(IBackend backend, string path)
    {
        var (header, tensors) = TensorFile.Read(path);
        return header.Tag("format") switch
        {
            "meprop-mlp" => ModelFile.Load(backend, header, tensors),
            "meprop-cnn" => CnnModelFile.Load(backend, header, tensors),
            var other => throw new InvalidDataException($"{path} is not a saved image classifier (its format is {other ?? "not given"}; " +
                "meprop train mlp and meprop train cnn write one as OUT/model.bin)."),
        };
    }

    /// <summary>The predicted class (the arg-max of the logits, lower index on ties) of each of the <paramref name="count"/>
    /// rows of <paramref name="pixels"/>, classified <paramref name="batchSize"/> rows at a time.</summary>
    public static int[] Predict(IBackend backend, IClassifier model, float[] pixels, int count, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (pixels.Length != (long)count * model.Inputs)
            throw new ArgumentException($"{pixels.Length} pixel values are not {count} images of the {model.Inputs} inputs the model takes.");
        int rows = Math.Min(batchSize, count);
        var x = backend.Allocate(rows, model.Inputs);
        var predicted = backend.AllocateIndices(rows, 1);
        var classes = new int[count];
        for (int first = 0; first < count; first += rows)
        {
            int n = Math.Min(rows, count - first);
            var batch = x.RowSlice(0, n);
            backend.Upload(pixels.AsSpan(first * model.Inputs, n * model.Inputs), batch);
            var slice = predicted.RowSlice(0, n);
            backend.ArgmaxRows(model.Forward(batch, StepContext.Inference), slice);
            backend.Download(slice, classes.AsSpan(first, n));
        }
        return classes;
    }
}
