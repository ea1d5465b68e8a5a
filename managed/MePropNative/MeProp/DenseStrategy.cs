namespace MePropNative.MeProp;

/// <summary>Ordinary back propagation: dW = dy^T x and dx = dy W as two dense GEMMs, db = column sums of dy.</summary>
public sealed class DenseStrategy : IMePropStrategy
{
    public string Name => "dense";

    public void Backward(in LinearGradientRequest r)
    {
        var b = r.Backend;
        b.Gemm(true, false, 1f, r.Dy, r.X, r.Weight.GradientIsZero ? 0f : 1f, r.Weight.Gradient);
        r.Weight.GradientIsZero = false;
        if (r.Bias is not null)
        {
            b.ColumnSums(r.Dy, r.Bias.Gradient, accumulate: !r.Bias.GradientIsZero);
            r.Bias.GradientIsZero = false;
        }
        if (r.Dx is not null) b.Gemm(false, false, 1f, r.Dy, r.Weight.Value, 0f, r.Dx);
        r.Statistics.Record(r.Batch, r.Outputs, null, perRow: true);
    }

    public IReadOnlyList<Tensors.Tensor> State => [];
    public void RestoreState(IReadOnlyList<Tensors.Tensor> state) { }
    public void OnOutputsResized() { }
}
