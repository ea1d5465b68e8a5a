using System.Globalization;

namespace MePropNative.Backends;

/// <summary>A device option value: "cpu", "cuda" (device 0) or "cuda:N". Pure parsing, no CUDA calls.</summary>
public readonly record struct DeviceSpec(bool IsCuda, int Index)
{
    public static readonly DeviceSpec Cpu = new(false, 0);

    public static bool TryParse(string? text, out DeviceSpec spec, out string error)
    {
        spec = Cpu;
        error = "";
        string t = (text ?? "").Trim().ToLowerInvariant();
        if (t is "cpu") return true;
        if (t is "cuda" or "gpu") { spec = new DeviceSpec(true, 0); return true; }
        if (t.StartsWith("cuda:", StringComparison.Ordinal) &&
            int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            spec = new DeviceSpec(true, index);
            return true;
        }
        error = $"device '{text}' is not cpu, cuda or cuda:N (N = 0, 1, ...).";
        return false;
    }

    public static DeviceSpec Parse(string? text) =>
        TryParse(text, out var spec, out string error) ? spec : throw new ArgumentException(error, nameof(text));

    public override string ToString() => IsCuda ? $"cuda:{Index}" : "cpu";
}
