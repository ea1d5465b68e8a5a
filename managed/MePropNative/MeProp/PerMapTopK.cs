using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.MeProp;

/// <summary>
/// meProp-CNN's selection (Wei, Sun, Ren and Xu, 2017): for every feature map of a conv layer's output gradient —
/// one example, one output channel, P = H * W positions — only the k = ceil(ratio * P) positions with the largest
/// |dL/dy| are propagated back. With <see cref="Decay"/> > 0 the ranking uses decay selection (the paper's Eq. 15):
/// <code>
///   score[n, c, p] = decay * run_grad[c, p] + (1 - decay) * |dy[n, c, p]|      top-k of score per (n, c)
///   run_grad[c, p] = decay * run_grad[c, p] + (1 - decay) * mean_n |dy[n, c, p]|  after the selection
/// </code>
/// and the propagated values are always the current gradient's. The running gradient has one value per (channel,
/// position), shared by the batch: each example's score is Eq. 15 applied to its own gradient and the stored state
/// is their batch mean, so with batch size 1 this is Eq. 15 exactly, decay 0 is plain per-map top-k, and the state
/// does not depend on which example happens to sit at which row of a shuffled batch (docs/cnn.md).
/// </summary>
public sealed class PerMapTopK
{
    private readonly IBackend backend;
    private readonly TensorCache scores;
    private readonly IndexTensorCache mapIndices;
    private readonly IndexTensorCache indices;
    private readonly TensorCache values;
    private Tensor? running;

    public PerMapTopK(IBackend backend, float ratio, float decay = 0f)
    {
        if (ratio is not (> 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "the top-k ratio must be in (0, 1].");
        if (decay is not (>= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "decay must be in [0, 1).");
        this.backend = backend;
        Ratio = ratio;
        Decay = decay;
        scores = new TensorCache(backend);
        mapIndices = new IndexTensorCache(backend);
        indices = new IndexTensorCache(backend);
        values = new TensorCache(backend);
    }

    public float Ratio { get; }
    public float Decay { get; }

    /// <summary>Selected and total (example, channel, position) entries since the last <see cref="ResetCounts"/>.</summary>
    public long Selected { get; private set; }
    public long Total { get; private set; }
    public double BackpropRatio => Total == 0 ? 1 : (double)Selected / Total;
    public void ResetCounts() => Selected = Total = 0;

    public string Name => Decay > 0 ? $"per-map top-{Ratio:0.###} decay {Decay:0.###}" : $"per-map top-{Ratio:0.###}";

    /// <summary>k for maps of <paramref name="positions"/> positions: ceil(ratio * P), at least 1 (rounded to 4 decimals
    /// first, so that 0.1 * 1000 is 100, not 101).</summary>
    public int K(int positions) => Math.Clamp((int)Math.Ceiling(Math.Round((double)Ratio * positions, 4)), 1, positions);

    /// <summary>The running gradient (channels x positions), null before the first decay-selection step; a checkpoint saves it.</summary>
    public Tensor? Running => running;

    public void RestoreRunning(Tensor? state) => running = state;

    /// <summary>
    /// Selects from dy (N x (P * C), channels-last) and returns the selection channel-major: indices (C x N k) are
    /// rows n * P + p of the im2col matrix, values (C x N k) the gradient there (see <see cref="IBackend.TopKPerMap"/>).
    /// The views are valid until the next call.
    /// </summary>
    public (IndexTensor Indices, Tensor Values, int K) Select(Tensor dy, int channels)
    {
        int n = dy.Rows, p = dy.Cols / channels, k = K(p);
        Tensor? r = null;
        if (Decay > 0)
        {
            if (running is null || running.Length != (long)channels * p) running = backend.Allocate(channels, p);
            r = running;
        }
        var idx = indices.Get(channels, n * k);
        var val = values.Get(channels, n * k);
        backend.TopKPerMap(dy, channels, k, r, Decay, scores.Get(n * channels, p), mapIndices.Get(n * channels, k), idx, val);
        Selected += (long)n * channels * k;
        Total += (long)n * channels * p;
        return (idx, val, k);
    }
}
