namespace MePropNative.Training;

/// <summary>The most values one parameter tensor (a layer's weights) may hold. Parameters pass through host arrays on
/// every backend (initialization, checkpoints, model files), so a layer whose weights outgrow a .NET array cannot be
/// built; the configurations check their layer sizes against this before anything loads.</summary>
public static class ParameterLimit
{
    /// <summary>A .NET array's limit less the CPU backend's alignment padding.</summary>
    public static readonly long MaxValues = Array.MaxLength - 16;

    /// <summary>The problem with a layer of <paramref name="outputs"/> x <paramref name="inputs"/> weights set by
    /// <paramref name="setting"/> (an option and its value), or null when they fit.</summary>
    public static string? Problem(string setting, string layer, long outputs, long inputs) =>
        outputs * inputs <= MaxValues ? null
            : $"{setting}: layer {layer} would have {outputs} x {inputs} = {outputs * inputs} weights, more than one tensor holds ({MaxValues}).";
}
