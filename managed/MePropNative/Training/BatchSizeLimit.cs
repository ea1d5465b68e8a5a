using MePropNative.Models;

namespace MePropNative.Training;

/// <summary>
/// The one-tensor limit (<see cref="ParameterLimit.MaxValues"/>) applied to the tensors a model sizes by its batch: a
/// batch_size or eval_batch_size whose largest batch would outgrow it is refused, naming the option, once the data is
/// read and before the model and its buffers are made (it used to end in "a CPU buffer of N elements is too large").
/// </summary>
public static class BatchSizeLimit
{
    /// <summary>The problem of <paramref name="option"/> = <paramref name="value"/> when its largest batch (an
    /// <paramref name="evaluation"/> or training batch of <paramref name="rows"/> <paramref name="rowName"/>s) does not
    /// fit <paramref name="widest"/>, or null. <paramref name="most"/>: the largest value that fits, when known.</summary>
    public static string? Problem(string option, int value, bool evaluation, long rows, string rowName, WidestRow widest, long? most)
    {
        if (rows < 1 || widest.Values <= ParameterLimit.MaxValues / rows) return null;
        Int128 total = (Int128)rows * widest.Values;
        string advice = most is null ? $"give a smaller {option}"
            : most >= 1 ? $"give {option} <= {most}"
            : $"even one {rowName} is too large for one tensor";
        return $"{option} = {value}: {(evaluation ? "an evaluation" : "a training")} batch of {rows} {rowName}s needs {rows} x {widest.Values} = " +
            $"{total} values in {widest.Tensor}, more than one tensor holds ({ParameterLimit.MaxValues}); {advice}.";
    }

    /// <summary>The most rows of <paramref name="widest"/> one tensor holds (0 when not even one).</summary>
    public static long MostRows(WidestRow widest) => ParameterLimit.MaxValues / Math.Max(1, widest.Values);

    /// <summary>Throws a <see cref="ConfigException"/> listing <paramref name="problems"/>' non-null entries, if any.</summary>
    public static void Check(params string?[] problems) => ConfigException.ThrowIfAny(problems.OfType<string>());
}
