using MePropNative.Backends;
using MePropNative.Data;
using MePropNative.Tensors;

namespace MePropNative.Training;

/// <summary>A labeled image set on a backend: its features as a count x features tensor, its labels as count x 1 indices
/// (empty sets give empty views).</summary>
internal static class DatasetUpload
{
    public static Tensor UploadFeatures(this IBackend backend, LabeledImages set)
    {
        var t = backend.Allocate(Math.Max(set.Count, 1), set.FeatureCount);
        if (set.Count == 0) return t.RowSlice(0, 0);
        backend.Upload(set.Features, t);
        return t;
    }

    public static IndexTensor UploadLabels(this IBackend backend, LabeledImages set)
    {
        var t = backend.AllocateIndices(Math.Max(set.Count, 1), 1);
        if (set.Count == 0) return t.RowSlice(0, 0);
        backend.Upload(set.Labels, t);
        return t;
    }
}
