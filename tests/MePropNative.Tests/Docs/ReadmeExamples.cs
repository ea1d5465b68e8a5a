using MePropNative.Backends;
using MePropNative.Bindings;
using MePropNative.Layers;
using MePropNative.MeProp;
using MePropNative.Models;
using MePropNative.Optimizers;
using MePropNative.Training;

namespace MePropNative.Tests.Docs;

/// <summary>The C# examples of README.md, verbatim (ReadmeExamplesTests checks that the README shows exactly the code
/// between the markers, and runs it; scripts/package-check.sh compiles and runs it against the packages).</summary>
internal static class ReadmeExamples
{
    // README example: trainer
    public static RunResult TrainTopK20(string mnistDirectory)
    {
        var config = new TrainConfig { DataDir = mnistDirectory, Strategy = StrategyKind.TopK, K = [20], Epochs = 5 };
        var data = config.DataFiles().Load(config.DevSize, config.TrainLimit, config.Classes);
        using var backend = new CpuBackend();
        return new Trainer(config, backend, data).Run(); // .TestAccuracy at the best dev epoch, .Epochs with timings
    }
    // end README example

    // README example: own loop
    public static double TrainInOwnLoop(float[] images, int[] labels, int features, int epochs)
    {
        using var backend = new CpuBackend();
        var model = new Mlp(backend, new MlpOptions
        {
            Inputs = features, Hidden = [500, 500], Classes = 10, Strategy = StrategyKind.TopK, HiddenK = [20],
        });
        model.LinearLayers[1].Strategy = new UnifiedTopKStrategy(backend, 20); // any layer can take its own strategy
        var optimizer = new Adam(new OptimizerOptions { LearningRate = 0.001f });
        var loss = new SoftmaxCrossEntropyLoss(backend);
        const int batch = 100;
        var x = backend.Allocate(batch, features);
        var y = backend.AllocateIndices(batch, 1);
        double accuracy = 0;
        for (int epoch = 0, step = 0; epoch < epochs; epoch++)
        {
            for (int first = 0; first + batch <= labels.Length; first += batch, step++)
            {
                backend.Upload(images.AsSpan(first * features, batch * features), x);
                backend.Upload(labels.AsSpan(first, batch), y);
                var logits = model.Forward(x, StepContext.TrainingStep(step, (long)step * batch));
                model.Backward(loss.Forward(logits, y, computeGradient: true)!);
                optimizer.Step(model.Parameters); // Adam, then zeroes the gradients
            }
            accuracy = loss.ReadAndReset().Accuracy; // on this epoch's training batches
        }
        return accuracy;
    }
    // end README example

    // README example: kernels
    public static (int[] Indices, float[] Dx, float[] Dw) SparseBackwardOfOneLayer(
        float[] dy, float[] w, float[] x, int batch, int n, int m, int k)
    {
        var indices = new int[batch * k];
        var values = new float[batch * k];
        Kernels.TopKAbsRows(dy, batch, n, n, k, indices, k, values, k); // per row, the k largest |dy|
        var dx = new float[batch * m];
        var dw = new float[n * m];                                       // accumulated into
        Kernels.SparseBackward(batch, n, m, k, indices, k, values, k, w, m, dx, m, x, m, dw, m);
        return (indices, dx, dw); // dx = top_k(dy) W, dW += top_k(dy)^T x, k/n of the dense work
    }
    // end README example
}
