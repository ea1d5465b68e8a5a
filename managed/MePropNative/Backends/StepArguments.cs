namespace MePropNative.Backends;

/// <summary>
/// What every optimizer step applies to the raw gradient g before its rule, in this order:
/// g = g * GradientScale (global-norm clipping), g += L2 * w, g = clamp(g, -ClipValue, ClipValue) when ClipValue > 0.
/// </summary>
public readonly record struct GradientTransform(float GradientScale = 1f, float L2 = 0f, float ClipValue = 0f);

/// <summary>Adam (Kingma and Ba): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= StepSize * m / (sqrt(v) + Epsilon),
/// with StepSize = lr * sqrt(1 - b2^t) / (1 - b1^t) (the bias corrections folded in, as in the paper's Algorithm 1).</summary>
public readonly record struct AdamStepArguments(float StepSize, float Beta1, float Beta2, float Epsilon, GradientTransform Transform);

/// <summary>AdaGrad: h += g^2; w -= lr * g / sqrt(h + Epsilon) (the original meProp program's form).</summary>
public readonly record struct AdaGradStepArguments(float LearningRate, float Epsilon, GradientTransform Transform);

/// <summary>SGD with optional momentum (velocity form): v = momentum * v + g; w -= lr * v.</summary>
public readonly record struct SgdStepArguments(float LearningRate, float Momentum, GradientTransform Transform);
