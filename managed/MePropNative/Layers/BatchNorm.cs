using MePropNative.Backends;
using MePropNative.Tensors;

namespace MePropNative.Layers;

/// <summary>
/// Batch normalization (Ioffe and Szegedy, 2015) per channel of a channels-last tensor: each example row is P positions of
/// C channels (P = 1 after a fully connected layer), and the statistics of channel c are taken over the batch and the
/// positions. Training normalizes with the batch mean and (biased) variance and updates running estimates,
/// running = (1 - momentum) * running + momentum * batch value, the variance estimate from the unbiased batch variance;
/// inference normalizes with the running estimates. y = gamma * xhat + beta, gamma starting at 1 and beta at 0.
/// </summary>
public sealed class BatchNorm : ILayer
{
    private readonly IBackend backend;
    private readonly TensorCache output;
    private readonly TensorCache normalized;
    private readonly TensorCache inputGradient;
    private readonly TensorCache contiguousInput;
    private readonly TensorCache contiguousGradient;
    private readonly Tensor invStd;
    private bool trained;

    public BatchNorm(IBackend backend, int channels, string name = "bn", float epsilon = 1e-5f, float momentum = 0.01f)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "batch norm needs >= 1 channel.");
        if (epsilon is not (> 0 and < float.PositiveInfinity)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be a finite number > 0.");
        if (momentum is not (> 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in (0, 1].");
        this.backend = backend;
        Channels = channels;
        Name = name;
        Epsilon = epsilon;
        Momentum = momentum;
        Gamma = new Parameter($"{name}.gamma", backend.Allocate(1, channels));
        Beta = new Parameter($"{name}.beta", backend.Allocate(1, channels));
        backend.Fill(Gamma.Value, 1f);
        RunningMean = backend.Allocate(1, channels);
        RunningVariance = backend.Allocate(1, channels);
        backend.Fill(RunningVariance, 1f);
        invStd = backend.Allocate(1, channels);
        output = new TensorCache(backend);
        normalized = new TensorCache(backend);
        inputGradient = new TensorCache(backend);
        contiguousInput = new TensorCache(backend);
        contiguousGradient = new TensorCache(backend);
    }

    public string Name { get; }
    public int Channels { get; }
    public float Epsilon { get; }
    public float Momentum { get; }
    public Parameter Gamma { get; }
    public Parameter Beta { get; }
    /// <summary>Running estimates used at inference (not trained by the optimizer; a checkpoint saves them).</summary>
    public Tensor RunningMean { get; }
    public Tensor RunningVariance { get; }
    public IReadOnlyList<Parameter> Parameters => [Gamma, Beta];

    public Tensor Forward(Tensor input, in StepContext context)
    {
        if (input.Cols % Channels != 0) throw new ArgumentException($"{Name}: {input.Cols} values per example are not a multiple of {Channels} channels.");
        var x = input.IsContiguous ? input : Copy(input, contiguousInput);
        var y = output.Get(x.Rows, x.Cols);
        trained = context.Training;
        if (context.Training)
        {
            var xhat = normalized.Get(x.Rows, x.Cols);
            backend.BatchNormForwardTraining(x, Channels, Gamma.Value, Beta.Value, Epsilon, Momentum, RunningMean, RunningVariance, xhat, invStd, y);
        }
        else backend.BatchNormForwardInference(x, Channels, Gamma.Value, Beta.Value, Epsilon, RunningMean, RunningVariance, y);
        return y;
    }

    public Tensor? Backward(Tensor outputGradient)
    {
        if (!trained) throw new InvalidOperationException($"{Name}: Backward without a training Forward.");
        var xhat = normalized.Current!;
        var dy = outputGradient.IsContiguous ? outputGradient : Copy(outputGradient, contiguousGradient);
        var dx = inputGradient.Get(xhat.Rows, xhat.Cols);
        bool accumulate = !(Gamma.GradientIsZero && Beta.GradientIsZero);
        if (accumulate) { if (Gamma.GradientIsZero) backend.Fill(Gamma.Gradient, 0f); if (Beta.GradientIsZero) backend.Fill(Beta.Gradient, 0f); }
        backend.BatchNormBackward(dy, xhat, Channels, Gamma.Value, invStd, Gamma.Gradient, Beta.Gradient, accumulate, dx);
        Gamma.GradientIsZero = Beta.GradientIsZero = false;
        return dx;
    }

    private Tensor Copy(Tensor t, TensorCache cache)
    {
        var c = cache.Get(t.Rows, t.Cols);
        backend.Copy(t, c);
        return c;
    }
}
